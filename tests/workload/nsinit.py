"""Inside the pod's fresh mount and PID namespaces: build its root, mount its volumes, become its user, exec.

Started by tests/workload/runner.py as ``unshare --mount --pid --fork ... python3 nsinit.py PLAN.json``, so it
is PID 1's parent-to-be and everything it mounts disappears with the namespace. Standard library only: it runs
before any project import could be trusted, and under ``ip netns exec``.

The root is the host's system directories, each behind an overlay whose upper layer lives in the pod's scratch
directory (the container image's writable layer): the program can create and change files anywhere, and nothing
reaches the host. The plan's ``ops`` then reproduce the image's own layout (tests/workload/images.py) and the
pod's volumes, in order.
"""

from __future__ import annotations

import ctypes
import grp
import json
import os
import pwd
import subprocess
import sys

SKIP_TOP = {"proc", "sys", "dev", "tmp", "run", "lost+found", "mnt", "media", "boot", "work"}


def sh(*argv: str) -> None:
    subprocess.run(argv, check=True)


VOLUMES = "/.kft-volumes"  # where the pod's materialised volumes are visible while the mounts are made


def build_root(root: str, scratch: str) -> None:
    """The image's filesystem stand-in: overlays of the host's top-level directories."""
    os.makedirs(root, exist_ok=True)
    sh("mount", "-t", "tmpfs", "-o", "mode=0755", "podroot", root)
    for entry in sorted(os.listdir("/")):
        host = "/" + entry
        target = os.path.join(root, entry)
        if os.path.islink(host):
            os.symlink(os.readlink(host), target)
        elif not os.path.isdir(host) or entry in SKIP_TOP:
            continue
        else:
            upper, work = os.path.join(scratch, "upper", entry), os.path.join(scratch, "work", entry)
            os.makedirs(upper, exist_ok=True)
            os.makedirs(work, exist_ok=True)
            os.makedirs(target)
            sh("mount", "-t", "overlay", "overlay", "-o", f"lowerdir={host},upperdir={upper},workdir={work}", target)
    for entry, mode in (("tmp", 0o1777), ("run", 0o755), ("mnt", 0o755)):
        os.makedirs(os.path.join(root, entry), exist_ok=True)
        os.chmod(os.path.join(root, entry), mode)
    for entry in ("dev", "sys"):
        os.makedirs(os.path.join(root, entry), exist_ok=True)
        sh("mount", "--rbind", "/" + entry, os.path.join(root, entry))
    os.makedirs(os.path.join(root, "proc"), exist_ok=True)
    sh("mount", "-t", "proc", "proc", os.path.join(root, "proc"))  # this PID namespace's view


def apply(op: dict) -> None:
    """One op, after chroot: paths (and the image's absolute symlinks) resolve inside the pod's root."""
    kind = op["op"]
    path = op["path"]
    if kind == "mkdir":
        os.makedirs(path, exist_ok=True)
        os.chmod(path, op.get("mode", 0o755))
        os.chown(path, op.get("uid", 0), op.get("gid", 0))
    elif kind == "symlink":
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.remove(path)
        os.symlink(op["target"], path)
    elif kind == "copy":
        os.makedirs(path, exist_ok=True)
        sh("cp", "-a", "--no-preserve=ownership", op["source"].rstrip("/") + "/.", path)
        sh("chown", "-R", f"{op.get('uid', 0)}:{op.get('gid', 0)}", path)
    elif kind == "chown":
        sh("chown", "-R", f"{op.get('uid', 0)}:{op.get('gid', 0)}", path)
    elif kind == "write":
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(op["content"].encode())
        os.chmod(path, op.get("mode", 0o644))
        os.chown(path, op.get("uid", 0), op.get("gid", 0))
    elif kind == "bind":
        source = os.path.join(VOLUMES, op["source"])
        if os.path.isdir(source):
            os.makedirs(path, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            if not os.path.exists(path):
                open(path, "a").close()
        sh("mount", "--bind", source, path)
        if op.get("read_only"):
            sh("mount", "-o", "remount,bind,ro", path)
    else:
        raise SystemExit(f"nsinit: unknown op {kind!r}")


# linux/capability.h numbering; kernels newer than this list have more, dropped as unnamed.
CAPS: tuple[str, ...] = (
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
)
PR_CAPBSET_DROP, PR_SET_NO_NEW_PRIVS = 24, 38


def restrict(keep: list[str], no_new_privs: bool) -> None:
    """What the runtime does before it starts the container's process: every capability outside ``keep`` leaves
    the bounding set, so the program, root or not, can never hold it after exec; no_new_privs stops setuid
    binaries and file capabilities from granting more. Done last, as root, after the mounts that need it."""
    unknown = set(keep) - set(CAPS)
    if unknown:
        raise SystemExit(f"nsinit: unknown capabilities {sorted(unknown)}")
    with open("/proc/self/status") as f:
        status = f.read()
    if any(line.startswith("CapInh:") and int(line.split()[1], 16) for line in status.splitlines()):
        raise SystemExit("nsinit: started with inheritable capabilities; the bounding set alone would not hold")
    libc = ctypes.CDLL(None, use_errno=True)
    with open("/proc/sys/kernel/cap_last_cap") as f:
        last = int(f.read())
    for number in range(last + 1):
        named = CAPS[number] if number < len(CAPS) else None
        if named not in keep and libc.prctl(PR_CAPBSET_DROP, number, 0, 0, 0) != 0:
            raise SystemExit(f"nsinit: dropping capability {number}: {os.strerror(ctypes.get_errno())}")
    if no_new_privs and libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SystemExit(f"nsinit: no_new_privs: {os.strerror(ctypes.get_errno())}")


def resolve_user(user: dict) -> tuple[int, int, list[int]]:
    """uid/gid by name are looked up in the pod's root (already chrooted), as the container runtime does."""
    uid, gid = user.get("uid"), user.get("gid")
    groups = list(user.get("groups") or [])
    if uid is None:
        entry = pwd.getpwnam(user["name"]) if not str(user["name"]).isdigit() else pwd.getpwuid(int(user["name"]))
        uid = entry.pw_uid
        gid = entry.pw_gid if gid is None else gid
        groups += [g.gr_gid for g in grp.getgrall() if entry.pw_name in g.gr_mem]
    return uid, gid if gid is not None else 0, sorted({gid or 0, *groups})


def main() -> None:
    with open(sys.argv[1]) as f:
        plan = json.load(f)
    root = plan["root"]
    build_root(root, plan["scratch"])
    for name, host_dir in plan["volumes"].items():
        os.makedirs(os.path.join(root + VOLUMES, name))
        sh("mount", "--bind", host_dir, os.path.join(root + VOLUMES, name))
    os.chroot(root)
    os.chdir("/")
    for op in plan["ops"]:
        apply(op)
    for name in plan["volumes"]:  # the binds made from them stay; the staging mounts go
        sh("umount", "--lazy", os.path.join(VOLUMES, name))
        os.rmdir(os.path.join(VOLUMES, name))
    os.rmdir(VOLUMES)
    uid, gid, groups = resolve_user(plan["user"])
    os.chdir(plan["workdir"] or "/")
    restrict(plan["capabilities"], plan["no_new_privs"])
    os.setgroups(groups)
    os.setgid(gid)
    os.setuid(uid)
    env = plan["env"]
    argv = plan["argv"]
    sys.stdout.flush()
    os.execvpe(argv[0], argv, env)


if __name__ == "__main__":
    main()
