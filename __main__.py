"""kubefate-tanzu: one party's FATE stack or the federation's exchange, chosen by ``kubefate-tanzu:role``."""

import pulumi

from models.errors import ConfigError
from stacks import run

try:
    run()
except ConfigError as exc:
    # A clean message listing every problem, without the Python traceback around it.
    raise pulumi.RunError(str(exc)) from None
