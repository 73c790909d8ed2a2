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
from pathlib import Path
from typing import Any

Op = dict[str, Any]


@dataclass(frozen=True)
class ImageProfile:
    name: str
    user: str = "root"  # USER of the image (name or uid)
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    workdir: str = "/"
    env: dict[str, str] = field(default_factory=dict)  # ENV of the image plus the Debian mappings
    ops: Callable[[], list[Op]] = list  # the image's layout, applied before the volumes


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
ATS_SYSCONF = "/etc/trafficserver"  # the real directory in the image
ATS_SYSCONF_LINK = f"{ATS_PREFIX}/etc/trafficserver"
ATS_LOGDIR = f"{ATS_PREFIX}/var/log/trafficserver"
ATS_RUNTIME = f"{ATS_PREFIX}/var/trafficserver"
ATS_SERVER_USER = "nobody"
ATS_SERVER_GROUP = "nogroup"
ATS_BINARIES = ("traffic_manager", "traffic_server", "traffic_ctl", "traffic_layout", "traffic_crashlog")


def _ats_runroot() -> str:
    """The image's layout for Debian's binaries (ATS's own relocation file, read through TS_RUNROOT)."""
    p = ATS_PREFIX
    return "".join(
        f"{k}: {v}\n"
        for k, v in (
            ("prefix", p),
            ("exec_prefix", p),
            ("bindir", f"{p}/bin"),
            ("sbindir", f"{p}/bin"),
            ("sysconfdir", ATS_SYSCONF_LINK),
            ("datadir", "/usr/share/trafficserver"),
            ("includedir", "/usr/include"),
            ("libdir", "/usr/lib/trafficserver"),
            ("libexecdir", "/usr/lib/trafficserver/modules"),
            ("localstatedir", f"{p}/var"),
            ("runtimedir", ATS_RUNTIME),
            ("logdir", ATS_LOGDIR),
            ("cachedir", ATS_RUNTIME),
        )
    )


def _ats_ops() -> list[Op]:
    uid, gid = _uid(ATS_SERVER_USER), _gid(ATS_SERVER_GROUP)
    ops: list[Op] = [{"op": "mkdir", "path": f"{ATS_PREFIX}/bin"}]
    ops += [{"op": "symlink", "path": f"{ATS_PREFIX}/bin/{b}", "target": f"/usr/bin/{b}"} for b in ATS_BINARIES]
    # /etc/trafficserver holds the package's default files (the image's are the 9.x defaults of the same names);
    # the image's owner is the server user, not Debian's "trafficserver".
    # Debian mapping 3: the image's stock storage.config names its own cache directory, Debian's names
    # /var/cache/trafficserver (the exchange disables the HTTP cache either way).
    ops.append(
        {
            "op": "write",
            "path": f"{ATS_SYSCONF}/storage.config",
            "content": "var/trafficserver 256M\n",
            "uid": uid,
            "gid": gid,
        }
    )
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

# --- FATE's OpenResty proxy (federatedai/nginx) --------------------------------------------------------------
# Facts (docs/workload.md, "nginx (federatedai/nginx)"): OpenResty 1.17.8.2 built with
# `--prefix=/data/projects/fate/proxy --with-http_v2_module --with-stream ...` on ubuntu:18.04, so the nginx
# prefix is /data/projects/fate/proxy/nginx/ (sbin/nginx, conf/, html/, logs/) and bin/openresty launches it;
# FATE's conf/ and lua/ are copied over OpenResty's stock conf/ (mime.types stays). WORKDIR
# /data/projects/fate/proxy/, ENV PATH=$PATH:<proxy>/bin:<proxy>/nginx/sbin, CMD `openresty -g "daemon off;"`,
# no USER (root; workers drop to the compiled-in nobody/nogroup, as Debian's build does).
# Debian's nginx-extras 1.22.1 has prefix /usr/share/nginx, conf-path /etc/nginx/nginx.conf, and the Lua (with
# its NDK) and stream modules as dynamic modules that only /etc/nginx's own nginx.conf loads.
FATE_PROXY_HOME = "/data/projects/fate/proxy"
FATE_NGINX_PREFIX = f"{FATE_PROXY_HOME}/nginx/"
FATE_PROXY_STANDINS = Path(__file__).with_name("fate_proxy")
DEBIAN_NGINX_MODULES = "/usr/lib/nginx/modules"
FATE_NGINX_MODULES = ("ndk_http_module.so", "ngx_http_lua_module.so", "ngx_stream_module.so")  # NDK before Lua


def _openresty_wrapper() -> str:
    """Debian mapping 1: the image's launcher for Debian's binary. ``-p`` and ``-c`` give it the image's prefix
    and compiled-in configuration file (the caller's own ``-p``/``-c`` come later and win, as with nginx).
    Debian mapping 2: the modules are loaded through ``-g``, which nginx parses before the file; nginx keeps
    only the last ``-g``, so the caller's (last) one is appended to the module directives in one ``-g``. Every
    other argument (``-t``, ``-s reload``, ...) is passed through."""
    loads = " ".join(f"load_module {DEBIAN_NGINX_MODULES}/{m};" for m in FATE_NGINX_MODULES)
    return f"""#!/bin/bash
# Stand-in for federatedai/nginx's OpenResty launcher (tests/workload/images.py, FATE_NGINX): Debian's nginx
# with the image's prefix and conf path, and the dynamic modules the image has built in.
user_g=
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        -g) if [ $# -lt 2 ]; then args+=("$1"); shift; else user_g=$2; shift 2; fi ;;
        -g?*) user_g=${{1#-g}}; shift ;;
        *) args+=("$1"); shift ;;
    esac
done
exec /usr/sbin/nginx -p {FATE_NGINX_PREFIX} -c conf/nginx.conf -g "{loads} $user_g" "${{args[@]}}"
"""


def _fate_nginx_ops() -> list[Op]:
    home, prefix = FATE_PROXY_HOME, FATE_NGINX_PREFIX.rstrip("/")
    ops: list[Op] = [
        {"op": "mkdir", "path": d}
        for d in (
            f"{home}/bin",
            f"{prefix}/sbin",
            f"{prefix}/conf/vhost",
            f"{prefix}/lua",
            f"{prefix}/html",
            f"{prefix}/logs",
        )
    ]
    ops.append({"op": "write", "path": f"{prefix}/sbin/nginx", "content": _openresty_wrapper(), "mode": 0o755})
    ops.append({"op": "symlink", "path": f"{home}/bin/openresty", "target": f"{prefix}/sbin/nginx"})
    # Debian mapping 3: the stock mime.types the image's conf/ keeps is Debian's (same format, nginx's list).
    ops.append(
        {"op": "write", "path": f"{prefix}/conf/mime.types", "content": Path("/etc/nginx/mime.types").read_text()}
    )
    # Stand-ins for FATE's files baked into the image (tests/workload/fate_proxy/README.md): the vhosts, the
    # Lua they and the rendered nginx.conf name, and the stock 50x.html the vhosts' error_page serves.
    for sub, dest in (("vhost", f"{prefix}/conf/vhost"), ("lua", f"{prefix}/lua"), ("html", f"{prefix}/html")):
        for f in sorted((FATE_PROXY_STANDINS / sub).iterdir()):
            ops.append({"op": "write", "path": f"{dest}/{f.name}", "content": f.read_text()})
    return ops


FATE_NGINX = ImageProfile(
    name="federatedai/nginx",
    user="root",
    cmd=("openresty", "-g", "daemon off;"),
    workdir=f"{FATE_PROXY_HOME}/",
    env={
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        f":{FATE_PROXY_HOME}/bin:{FATE_PROXY_HOME}/nginx/sbin"
    },
    ops=_fate_nginx_ops,
)

PROFILES: dict[str, ImageProfile] = {p.name: p for p in (TRAFFIC_SERVER, FATE_NGINX)}


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
