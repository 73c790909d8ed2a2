"""Command line of ``python -m federation``; see docs/federation.md for the walk-through."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import cast

from federation import fingerprint, plan, processes, recovery, toy_job
from federation.converge import Interrupted, NotConverged, PhaseFailed, StackRunner, converge, ensure_all, run_once
from federation.interrupt import Interruption, NoProcesses
from federation.interrupt import report as interrupt_report
from federation.progress import Progress
from federation.summary import format_results, format_status

REPO_ROOT = Path(__file__).resolve().parents[1]
STATE_DIR = ".pulumi-state"
CHECK_TIMEOUT = 5.0
TOY_TIMEOUT, TOY_MIN_TIMEOUT = toy_job.DEFAULT_TIMEOUT, toy_job.MIN_TIMEOUT


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m federation", description=__doc__)
    p.add_argument("command", choices=["up", "preview", "destroy", "status", "check", "toy"])
    p.add_argument(
        "--backend", help=f"Pulumi backend URL (default: $PULUMI_BACKEND_URL, else file://<repo>/{STATE_DIR})"
    )
    p.add_argument(
        "--config-dir",
        type=Path,
        default=REPO_ROOT,
        help="directory holding Pulumi.yaml and the Pulumi.<stack>.yaml files (default: the repo)",
    )
    p.add_argument("--exchange-stack", default="exchange", help="the exchange's stack (default: exchange)")
    p.add_argument(
        "--variant",
        help="use Pulumi.<variant>-<exchange-stack>.yaml, e.g. 'local' for local "
        "trials; the parties are the ones that file lists",
    )
    p.add_argument("--stacks", help="comma-separated party stacks, instead of the exchange config's list")
    p.add_argument(
        "--kubeconfig-file",
        type=Path,
        help="set this file as every stack's secret kubefate-tanzu:kubeconfig (adopt-mode trials)",
    )
    p.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="plain config for every stack (namespace kubefate-tanzu: unless given)",
    )
    p.add_argument(
        "--secret-file",
        action="append",
        default=[],
        metavar="KEY=PATH",
        help="secret config for every stack, read from a file (never from the command line)",
    )
    p.add_argument("--max-passes", type=int, default=4, help="bound of the convergence loop (default 4)")
    p.add_argument("--parallel", type=int, default=4, help="party stacks run at once (default 4)")
    p.add_argument(
        "--refresh",
        action="store_true",
        help="refresh each stack before up/preview; up also previews every stack whose inputs did not change "
        "and updates the ones that drifted (changes made outside Pulumi)",
    )
    p.add_argument(
        "--full",
        action="store_true",
        help="up: run every stack at least once, even when its inputs and state match its last update",
    )
    p.add_argument(
        "--progress-interval",
        type=float,
        default=15.0,
        metavar="S",
        help="up: seconds between the lines naming the stacks still running (default 15)",
    )
    p.add_argument(
        "--expect-no-changes",
        action="store_true",
        help="preview: exit 3 when any stack would change (drift check, e.g. nightly CI)",
    )
    p.add_argument("--yes", action="store_true", help="confirm destroy")
    p.add_argument("--verbose", action="store_true", help="stream Pulumi's output, prefixed by stack")
    p.add_argument(
        "--interrupt-timeout",
        type=float,
        default=120.0,
        metavar="S",
        help="after Ctrl-C/SIGTERM, seconds the running Pulumi operations get to stop gracefully "
        "before they are terminated (default 120)",
    )
    p.add_argument("--json", action="store_true", help="check, toy: print one JSON document instead of the matrix")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        metavar="S",
        help=f"check: seconds each hop may take (default {CHECK_TIMEOUT:g}); toy: seconds the toy's "
        f"Job may run, its activeDeadlineSeconds (default {TOY_TIMEOUT}, at least "
        f"{TOY_MIN_TIMEOUT})",
    )
    p.add_argument(
        "--guest",
        type=int,
        metavar="PARTY_ID",
        help="toy: the guest party, where the Job runs (default: the first of the exchange's federatedParties)",
    )
    p.add_argument(
        "--host", type=int, metavar="PARTY_ID", help="toy: the host party (default: the next federated party)"
    )
    p.add_argument(
        "--kubeconfig",
        type=Path,
        metavar="PATH",
        help="toy: kubeconfig of the guest's cluster (default: the guest stack's cluster.kubeconfigPath)",
    )
    p.add_argument("--keep", action="store_true", help="toy: keep the Job (and its pod's log) after the run")
    args = p.parse_args(argv)
    if args.timeout is None:
        args.timeout = TOY_TIMEOUT if args.command == "toy" else CHECK_TIMEOUT
    if args.timeout <= 0:
        p.error("--timeout must be positive")
    if args.progress_interval <= 0:
        p.error("--progress-interval must be positive")
    if args.command == "toy" and args.timeout < TOY_MIN_TIMEOUT:
        p.error(
            f"toy: --timeout must be at least {TOY_MIN_TIMEOUT} seconds (flow init, the submit and the "
            "toy's own polling share it)"
        )
    toy_only = [
        o
        for o, v in (
            ("--guest", args.guest),
            ("--host", args.host),
            ("--kubeconfig", args.kubeconfig),
            ("--keep", args.keep),
        )
        if v not in (None, False)
    ]
    if toy_only and args.command != "toy":
        p.error(f"{', '.join(toy_only)}: only for the toy command")
    for option, value in (("--guest", args.guest), ("--host", args.host)):
        if value is not None and value <= 0:
            p.error(f"{option} must be a positive party id")
    return args


def qualified_key(key: str) -> str:
    return key if ":" in key else f"{plan.PROJECT_NAMESPACE}:{key}"


def config_settings(args: argparse.Namespace):
    from federation.automation import ConfigSetting

    settings = []
    for item in args.config:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--config {item!r}: expected KEY=VALUE")
        settings.append(ConfigSetting(qualified_key(key), value))
    files = [f"kubeconfig={args.kubeconfig_file}"] if args.kubeconfig_file else []
    for item in files + args.secret_file:
        key, sep, path = item.partition("=")
        if not sep or not Path(path).is_file():
            raise SystemExit(f"secret {key!r}: {path!r} is not a readable file")
        settings.append(ConfigSetting(qualified_key(key), Path(path).read_text(), secret=True))
    return settings


def backend_env(args: argparse.Namespace, environ: dict[str, str]) -> dict[str, str]:
    """Backend and passphrase for the CLI runs; the default file backend lives in the repo's ignored folder."""
    url = args.backend or environ.get("PULUMI_BACKEND_URL") or f"file://{args.config_dir / STATE_DIR}"
    if url.startswith("file://"):
        Path(url.removeprefix("file://")).expanduser().mkdir(parents=True, exist_ok=True)
        has_passphrase = "PULUMI_CONFIG_PASSPHRASE" in environ or environ.get("PULUMI_CONFIG_PASSPHRASE_FILE")
        if not has_passphrase:
            raise SystemExit(
                "a file backend encrypts secrets with a passphrase. Fix: export "
                "PULUMI_CONFIG_PASSPHRASE_FILE=<file> (or PULUMI_CONFIG_PASSPHRASE)"
            )
    return {"PULUMI_BACKEND_URL": url}


def default_runner(args: argparse.Namespace, env: dict[str, str]) -> StackRunner:
    from federation.automation import AutomationRunner

    if shutil.which("pulumi") is None:
        raise SystemExit("the Pulumi CLI is not on PATH. Fix: install it (docs/federation.md, toolchain)")

    def echo(stack: str, line: str) -> None:
        print(f"[{stack}] {line.rstrip()}", flush=True)

    from federation.pulumi_command import ProcessTable

    return AutomationRunner(
        work_dir=args.config_dir,
        env=env,
        config=config_settings(args),
        refresh=args.refresh,
        on_output=echo if args.verbose else None,
        processes=ProcessTable(),
    )


def up_inputs(args: argparse.Namespace, fed: plan.Federation) -> fingerprint.Inputs:
    """What each stack's program reads: the program, its stack file and the settings this command gives every
    stack (digests of their values, secrets included), and the other stacks' outputs (plan.reads)."""
    program = fingerprint.program_digest(args.config_dir)
    settings = config_settings(args)
    given = fingerprint.digest([(s.key, s.secret, fingerprint.digest(s.value)) for s in settings])
    keys = [s.key for s in settings]

    def local(stack: str) -> str:
        config = fingerprint.stack_file_digest(plan.stack_file(args.config_dir, stack), keys)
        return fingerprint.digest({"program": program, "stack file": config, "settings": given})

    return fingerprint.Inputs(local=local, reads=plan.reads(args.config_dir, fed))


def runner_backend(runner: StackRunner) -> str:
    return getattr(runner, "backend_url", "") or ""


def stop_leftovers() -> list[processes.ProcInfo]:
    """Processes of earlier runs on this host that were killed before their watchdog could act."""
    return processes.stop_leftovers(processes.hostname())


def this_host() -> recovery.Host:
    return recovery.Host(processes.hostname(), processes.started_at)


def main(
    argv: Sequence[str] | None = None,
    make_runner: Callable[[argparse.Namespace, dict[str, str]], StackRunner] = default_runner,
    out: Callable[[str], None] = lambda text: print(text, flush=True),
    sweep: Callable[[], list[processes.ProcInfo]] = stop_leftovers,
    host: Callable[[], recovery.Host] = this_host,
) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    try:
        fed = plan.resolve(
            args.config_dir,
            args.exchange_stack,
            args.variant,
            [s.strip() for s in args.stacks.split(",") if s.strip()] if args.stacks else None,
        )
    except plan.PlanError as exc:
        as_json = args.command in ("check", "toy") and args.json
        out(json.dumps({"ok": False, "error": str(exc), "rows": []}) if as_json else f"error: {exc}")
        return 2
    if args.command == "destroy" and not args.yes:
        out(f"destroy removes {', '.join(fed.all_stacks)}. Re-run with --yes to confirm.")
        return 2
    runner = make_runner(args, backend_env(args, dict(os.environ)))
    try:
        if args.command == "check":  # its own report: --json output must be nothing but the document
            from federation import check

            if not args.json:
                out(f"federation: exchange {fed.exchange}; parties {', '.join(fed.parties) or '(none)'}")
            return check.main(fed, runner.outputs, args.timeout, args.json, out)
        if args.command == "toy":  # reads outputs, runs one Job in the guest's cluster; no stack changes
            from federation import toy

            if not args.json:
                out(f"federation: exchange {fed.exchange}; parties {', '.join(fed.parties) or '(none)'}")
            return toy.main(
                fed,
                runner.outputs,
                args.config_dir,
                args.guest,
                args.host,
                args.kubeconfig,
                args.timeout,
                args.keep,
                args.json,
                out,
            )
        out(f"federation: exchange {fed.exchange}; parties {', '.join(fed.parties) or '(none)'}")
        if args.command == "status":
            return _dispatch(args, fed, runner, out, None)
        return _interruptible(args, argv, fed, runner, out, sweep, host)
    finally:
        getattr(runner, "close", lambda: None)()


def _interruptible(
    args: argparse.Namespace,
    argv: list[str],
    fed: plan.Federation,
    runner: StackRunner,
    out: Callable[[str], None],
    sweep: Callable[[], list[processes.ProcInfo]],
    host: Callable[[], recovery.Host],
) -> int:
    """up, preview and destroy: recover what an earlier run left, run, and stop cleanly on Ctrl-C/SIGTERM."""
    interruption = Interruption(getattr(runner, "processes", None) or NoProcesses(), out, args.interrupt_timeout)
    rerun = shlex.join(["python", "-m", "federation", *argv])
    try:
        with interruption.install():
            try:
                _recover(args, fed, runner, out, sweep, host)
                return _dispatch(args, fed, runner, out, interruption)
            except Interrupted:
                raise
            except Exception as exc:
                if interruption.is_set():  # e.g. the recovery's refresh, stopped by the signal
                    raise Interrupted([], {"(recovery)": str(exc)}, list(fed.all_stacks)) from exc
                raise
    except Interrupted as exc:
        out(interrupt_report(exc, args.command, rerun))
        return interruption.exit_code
    except recovery.Locked as exc:
        out(f"error: {exc}")
        return 1
    except (PhaseFailed, NotConverged) as exc:
        out(f"error: {exc}")
        return 1


def _recover(
    args: argparse.Namespace,
    fed: plan.Federation,
    runner: StackRunner,
    out: Callable[[str], None],
    sweep: Callable[[], list[processes.ProcInfo]],
    host: Callable[[], recovery.Host],
) -> None:
    left = sweep()
    if left:
        runs = sorted({str(p.run.pid) for p in left if p.run})
        out(
            f"recovery: stopped {len(left)} process(es) left by earlier run(s) that were killed "
            f"(pid {', '.join(runs)}): {', '.join(sorted({p.comm for p in left}))}"
        )
    if hasattr(runner, "export"):  # a StateAccess: locks and pending operations
        access = cast(recovery.StateAccess, runner)
        recovery.recover(fed.all_stacks, access, host(), out, fix_pending=args.command != "preview")


def _dispatch(
    args: argparse.Namespace,
    fed: plan.Federation,
    runner: StackRunner,
    out: Callable[[str], None],
    cancel: Interruption | None,
) -> int:
    if args.command == "up":
        progress = Progress(out, interval=args.progress_interval)
        try:
            with progress:
                report = converge(
                    runner,
                    plan.up_phases(fed),
                    inputs=up_inputs(args, fed),
                    records=fingerprint.FileRecords(fingerprint.records_dir(args.config_dir, runner_backend(runner))),
                    max_passes=args.max_passes,
                    parallel=args.parallel,
                    report=lambda n, results: out(format_results(n, results)),
                    cancel=cancel,
                    full=args.full,
                    verify=args.refresh,
                    progress=progress,
                )
        finally:
            out(progress.summary())
        out(f"converged after {report.passes} pass(es), {report.runs} stack update(s)")
        ran = [r for results in report.history for r in results if r.stack == fed.exchange and r.operation == "up"]
        out(format_status(fed.exchange, ran[-1].outputs if ran else runner.outputs(fed.exchange)))
        return 0
    if args.command == "preview":
        ensure_all(runner, plan.preview_phases(fed), cancel, args.parallel)
        results = run_once(runner.preview, plan.preview_phases(fed), args.parallel, cancel)
        out(format_results(None, results))
        out(
            "note: parties are previewed against the exchange's current outputs; a first deployment needs "
            "`up` to converge"
        )
        drifted = [r.stack for r in results if r.changed]
        if args.expect_no_changes and drifted:
            out(f"changes expected in: {', '.join(drifted)}")
            return 3
        return 0
    if args.command == "destroy":
        results = run_once(runner.destroy, plan.destroy_phases(fed), args.parallel, cancel)
        out(format_results(None, results))
        return 0
    for stack in fed.all_stacks:
        out(format_status(stack, runner.outputs(stack)))
    return 0
