"""The program's two stacks, picked by the config's ``role``; ``run`` is what __main__.py executes."""

from __future__ import annotations


def run() -> None:
    """Load the stack configuration once (raising before any resource exists) and deploy that stack."""
    from models.config import load_stack_config
    from models.party import PartyConfig

    cfg, secrets = load_stack_config()
    if isinstance(cfg, PartyConfig):
        from stacks.party import run_party

        run_party(cfg, secrets)
    else:
        from stacks.exchange import run_exchange

        run_exchange(cfg, secrets)
