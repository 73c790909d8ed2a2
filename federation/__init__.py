"""``python -m federation up|preview|destroy|status``: the whole federation, in order, until converged.

Pure logic (which stacks, in what order, when a pass changed something) lives in plan.py, converge.py and
summary.py; automation.py alone talks to Pulumi (its CLI and Automation API), so tests swap it for a fake. Interrupted
runs: interrupt.py (Ctrl-C/SIGTERM), pulumi_command.py and reaper.py (the run's processes), recovery.py with
locks.py and pending.py (what a killed run left in the stacks); docs/federation.md, "When a run was
interrupted".
"""
