"""Stand-ins for the container images: how a Debian-packaged program is laid out the way the image lays it out.

FATE's images cannot be pulled here and nothing can run them; the programs in them can be had from Debian or
the Python package index. An ``ImageProfile`` records, per image, what a container gets from the image rather
than from the pod spec (ENTRYPOINT, CMD, USER, WORKDIR, ENV) and the filesystem ``ops`` that make the Debian
build appear at the image's paths. Every mapping is listed in docs/workload.md with the reason for it; none of
them touches a file the stack renders, which is mounted over the image exactly as the pod spec says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

Op = dict[str, Any]


@dataclass(frozen=True)
class ImageProfile:
    name: str
    user: str = "root"                                  # USER of the image (name or uid)
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)   # ENV of the image plus the Debian mappings
    ops: Callable[[], list[Op]] = list                  # the image's layout, applied before the volumes


def _uid(name: str) -> int:
    import pwd

    return pwd.getpwnam(name).pw_uid


def _gid(name: str) -> int:
    import grp

    return grp.getgrnam(name).gr_gid


# --- Apache Traffic Server (federatedai/trafficserver) -------------------------------------------------------
# Facts (docs/workload.md, "Traffic Server image"): ATS 9.x built with `./configure --prefix=/opt/trafficserver`
# and nothing else, on Debian; after `make install` the configuration directory was moved to /etc/trafficserver
# and /opt/trafficserver/etc/trafficserver made a symlink to it. No USER (root), CMD traffic_server; the chart's
# command is traffic_manager. Built without --with-user, so traffic_server drops to `nobody` (group nogroup),
# which also owns the configuration, log and runtime directories (`make install` as root chowns them).
# Debian's build has prefix /usr, sysconfdir /etc/trafficserver and compiled-in user `trafficserver`.
ATS_PREFIX = "/opt/trafficserver"
ATS_SYSCONF = "/etc/trafficserver"          # the real directory in the image
ATS_SYSCONF_LINK = f"{ATS_PREFIX}/etc/trafficserver"
ATS_LOGDIR = f"{ATS_PREFIX}/var/log/trafficserver"
ATS_RUNTIME = f"{ATS_PREFIX}/var/trafficserver"
ATS_SERVER_USER = "nobody"
ATS_SERVER_GROUP = "nogroup"
ATS_BINARIES = ("traffic_manager", "traffic_server", "traffic_ctl", "traffic_layout", "traffic_crashlog")


def _ats_runroot() -> str:
    """The image's layout for Debian's binaries (ATS's own relocation file, read through TS_RUNROOT)."""
    p = ATS_PREFIX
    return "".join(f"{k}: {v}\n" for k, v in (
        ("prefix", p), ("exec_prefix", p), ("bindir", f"{p}/bin"), ("sbindir", f"{p}/bin"),
        ("sysconfdir", ATS_SYSCONF_LINK), ("datadir", "/usr/share/trafficserver"), ("includedir", "/usr/include"),
        ("libdir", "/usr/lib/trafficserver"), ("libexecdir", "/usr/lib/trafficserver/modules"),
        ("localstatedir", f"{p}/var"), ("runtimedir", ATS_RUNTIME), ("logdir", ATS_LOGDIR),
        ("cachedir", ATS_RUNTIME)))


def _ats_ops() -> list[Op]:
    uid, gid = _uid(ATS_SERVER_USER), _gid(ATS_SERVER_GROUP)
    ops: list[Op] = [{"op": "mkdir", "path": f"{ATS_PREFIX}/bin"}]
    ops += [{"op": "symlink", "path": f"{ATS_PREFIX}/bin/{b}", "target": f"/usr/bin/{b}"} for b in ATS_BINARIES]
    # /etc/trafficserver holds the package's default files (the image's are the 9.x defaults of the same names);
    # the image's owner is the server user, not Debian's "trafficserver".
    # Debian mapping 3: the image's stock storage.config names its own cache directory, Debian's names
    # /var/cache/trafficserver (the exchange disables the HTTP cache either way).
    ops.append({"op": "write", "path": f"{ATS_SYSCONF}/storage.config", "content": "var/trafficserver 256M\n",
                "uid": uid, "gid": gid})
    ops.append({"op": "chown", "path": ATS_SYSCONF, "uid": uid, "gid": gid})
    ops.append({"op": "symlink", "path": ATS_SYSCONF_LINK, "target": ATS_SYSCONF})
    ops.append({"op": "mkdir", "path": f"{ATS_PREFIX}/var"})
    ops += [{"op": "mkdir", "path": d, "mode": 0o755, "uid": uid, "gid": gid} for d in (ATS_LOGDIR, ATS_RUNTIME)]
    ops.append({"op": "write", "path": f"{ATS_PREFIX}/runroot.yaml", "content": _ats_runroot()})
    return ops


TRAFFIC_SERVER = ImageProfile(
    name="federatedai/trafficserver",
    user="root",
    cmd=(f"{ATS_PREFIX}/bin/traffic_server",),
    env={
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        # Debian mapping 1: Debian's binaries laid out under the image's prefix (ATS's runroot mechanism).
        "TS_RUNROOT": ATS_PREFIX,
        # Debian mapping 2: the image's compiled-in server user instead of Debian's "trafficserver".
        "PROXY_CONFIG_ADMIN_USER_ID": ATS_SERVER_USER,
    },
    ops=_ats_ops,
)

PROFILES: dict[str, ImageProfile] = {p.name: p for p in (TRAFFIC_SERVER,)}


def profile_for(image: str) -> ImageProfile:
    """The profile of an image reference (registry and tag ignored: mirrors rename the registry)."""
    repo = image.split("@", 1)[0]
    last = repo.rsplit("/", 1)[-1]
    if ":" in last:
        repo = repo.rsplit(":", 1)[0]
    for name, profile in PROFILES.items():
        if repo == name or repo.endswith("/" + name) or repo.rsplit("/", 1)[-1] == name.rsplit("/", 1)[-1]:
            return profile
    raise LookupError(f"no image profile for {image!r} (tests/workload/images.py knows {sorted(PROFILES)})")
