"""Watchdog of one federation run: ``python -m federation.reaper <run id>``, in a session of its own.

It blocks on a pipe from the run's Python process. The pipe closes when that process ends, however it ends:
a normal exit (nothing is left, so nothing is killed), an exception, or ``kill -9`` of the process or of its
whole process group (which does not reach this session). Then every process still carrying the run's marker
(the Pulumi CLIs in their own process groups, the language hosts, providers and programs in theirs) is
killed, so a killed run leaves no process behind. The stack state this leaves (locks, pending operations) is
what the next ``federation up`` recovers (federation/recovery.py).
"""

from __future__ import annotations

import sys
import time

from federation import processes


def reap(run: processes.RunId, rounds: int = 5) -> int:
    killed = 0
    for _ in range(rounds):  # a language host may start a program while its siblings are killed
        left = processes.of_run(processes.scan(), run)
        if not left:
            break
        killed += len(processes.kill(left))
        time.sleep(0.2)
    return killed


def main(argv: list[str]) -> int:
    run = processes.RunId.parse(argv[0]) if argv else None
    if run is None:
        print("usage: python -m federation.reaper <host:pid:start>", file=sys.stderr)
        return 2
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except OSError:
        pass
    reap(run)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
