#!/usr/bin/env bash
# Real FATE programs as processes (no container images here): build, once per version, into $KFT_CACHE/workload/
#   fate-2.0.0/venv                  python3.11 venv: fate-flow, fate-client (`flow`), pyfate (--no-deps) + the
#                                    toy example's imports, pinned by tools/fate-2.0.0-constraints.txt
#   fate-2.0.0/overlay-cryptography  `cryptography` alone (PYTHONPATH overlay; the FATE image lacks it)
#   fate-2.0.0/wheels                torch 1.13.1 + its nvidia wheels (1.7 GB), kept so a venv rebuild is offline
#   mysql-<ver>/                     MySQL server (Debian unstable's mysql-server-core, unpacked, not installed:
#                                    bookworm has no MySQL) run through its own dynamic loader: bin/mysqld
#   pulsar-<ver>/lib                 Apache Pulsar standalone classpath from Maven (tools/pulsar-standalone/pom.xml)
#   pulsar-<ver>/conf, bin/pulsar-standalone
# Each part is rebuilt only when its marker (.kft-ok, holding the inputs' checksum) is missing or stale.
# Logs: $KFT_CACHE/logs/fate-runtime-<step>.log. A failure names the step and its log and exits non-zero.
#
# Usage: tools/fate_runtime.sh [all|venv|mysql|pulsar]...   (default: all)
#        tools/fate_runtime.sh env    print the paths as shell assignments (after building what is missing)
# Env:   KFT_CACHE (default ~/.cache/kubefate-tanzu), KFT_PULSAR_VERSION (default 2.10.2),
#        KFT_MYSQL_VERSION (a Debian version, e.g. 9.7.4-2; default: the one already cached, else the current one)
set -euo pipefail

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
KFT_CACHE=${KFT_CACHE:-$HOME/.cache/kubefate-tanzu}
WL=$KFT_CACHE/workload
LOGS=$KFT_CACHE/logs
FATE_VERSION=2.0.0
PYTHON=${KFT_FATE_PYTHON:-python3.11}
CONSTRAINTS=$TOOLS_DIR/fate-$FATE_VERSION-constraints.txt
PULSAR_VERSION=${KFT_PULSAR_VERSION:-2.10.2}
PULSAR_POM=$TOOLS_DIR/pulsar-standalone/pom.xml
NICE=(nice -n 19)

FATE_DIR=$WL/fate-$FATE_VERSION
VENV=$FATE_DIR/venv
OVERLAY=$FATE_DIR/overlay-cryptography
WHEELS=$FATE_DIR/wheels
PULSAR_DIR=$WL/pulsar-$PULSAR_VERSION

STEP=init
LOG=/dev/null
log() { echo "fate_runtime: $*" >&2; }
DIED=
die() { DIED=1; echo "fate_runtime: FAILED in step '$STEP': $* (log: $LOG)" >&2; exit 1; }
# shellcheck disable=SC2154 # rc is assigned inside the trap string itself
trap 'rc=$?; [ $rc -eq 0 ] || [ -n "$DIED" ] || echo "fate_runtime: FAILED in step '"'"'$STEP'"'"' (exit $rc; log: $LOG)" >&2' EXIT
begin() { STEP=$1; LOG=$LOGS/fate-runtime-$1.log; : >"$LOG"; log "$1: $2 (log: $LOG)"; }
run() { "$@" >>"$LOG" 2>&1 || die "command failed: $*"; }
sha() { cat "$@" | sha256sum | cut -c1-16; }
now() { date +%s; }

mkdir -p "$WL" "$LOGS"

# ------------------------------------------------------------------------------------------------------
# FATE-Flow / fate-client / pyfate venv
# Top-level requirements; every version comes from the constraints file.
FLOW_REQS=("fate-flow==$FATE_VERSION" "fate-client==$FATE_VERSION")
# What the toy example (flow test toy -> fate.components toy_example) imports, plus the pulsar federation.
TOY_REQS=(torch numpy pandas scikit-learn scipy omegaconf opentelemetry-api opentelemetry-sdk cloudpickle lmdb
	mmh3 safetensors fate-utils pulsar-client)
OVERLAY_REQS=(cryptography cffi pycparser)
# Found missing by the toy run itself (fate.arch.trace profile_ends imports beautifultable after every task):
# added to a built venv with `pip install --no-deps` instead of rebuilding it, so a new package of the toy
# path does not cost the whole torch venv again; the freeze check covers them like everything else.
EXTRA_REQS=(beautifultable wcwidth)

pin() { # pin NAME -> NAME==VERSION from the constraints file (names compared as pip does: case, - _ .)
	local v re
	re=${1//[-_.]/[-_.]}
	v=$(grep -iE "^$re==" "$CONSTRAINTS" | head -1) || true
	[ -n "$v" ] || die "$1 is not pinned in $CONSTRAINTS"
	echo "$v"
}

check_freeze() {
	# The venv must be exactly the constraints' freeze section (nothing more, nothing less).
	"$VENV/bin/pip" freeze >"$FATE_DIR/freeze.txt"
	"$VENV/bin/python" - "$CONSTRAINTS" "$FATE_DIR/freeze.txt" >>"$LOG" 2>&1 <<'EOF' || die "the venv differs from the constraints file (see log)"
import re, sys
norm = lambda l: re.sub(r"[-_.]+", "-", l.strip().lower())
text = open(sys.argv[1]).read().split("# --- pip freeze of the venv ---", 1)[1]
want = {norm(l) for l in text.splitlines() if l.strip() and not l.startswith("#")}
have = {norm(l) for l in open(sys.argv[2]) if l.strip() and not l.startswith("#")}
if want != have:
    print("only in constraints:", sorted(want - have)); print("only in venv:", sorted(have - want)); sys.exit(1)
print("venv matches the constraints:", len(have), "packages")
EOF
}

build_venv() {
	local key t0
	local extras=() r
	for r in "${EXTRA_REQS[@]}"; do extras+=("$(pin "$r")"); done
	# The base venv's key leaves the extras' pins out, so adding one does not invalidate it.
	key=$( (grep -vxF -f <(printf '%s\n' "${extras[@]}") "$CONSTRAINTS"
		echo "$PYTHON ${FLOW_REQS[*]} ${TOY_REQS[*]} ${OVERLAY_REQS[*]}") | sha256sum | cut -c1-16)
	extras_key=$(echo "$key ${extras[*]}" | sha256sum | cut -c1-16)
	if [ -f "$VENV/.kft-ok" ] && [ "$(cat "$VENV/.kft-ok")" = "$key" ] &&
		[ -f "$OVERLAY/.kft-ok" ] && [ "$(cat "$OVERLAY/.kft-ok")" = "$key" ]; then
		if [ -f "$VENV/.kft-extras-ok" ] && [ "$(cat "$VENV/.kft-extras-ok")" = "$extras_key" ]; then
			log "venv: cached ($VENV)"
			return
		fi
		begin venv "adding ${extras[*]} to $VENV"
		run "${NICE[@]}" "$VENV/bin/pip" install -q --no-deps "${extras[@]}"
		check_freeze
		echo "$extras_key" >"$VENV/.kft-extras-ok"
		log "venv: extras added"
		return
	fi
	t0=$(now)
	begin venv "building $VENV with $PYTHON"
	command -v "$PYTHON" >/dev/null || die "$PYTHON not found"
	[ -f "$CONSTRAINTS" ] || die "missing $CONSTRAINTS"
	# torch and its CUDA runtime wheels: downloaded once, kept beside the venv.
	local torch_pins=() w
	for w in torch nvidia-cublas-cu11 nvidia-cuda-nvrtc-cu11 nvidia-cuda-runtime-cu11 nvidia-cudnn-cu11; do
		torch_pins+=("$(pin "$w")")
	done
	if [ ! -f "$WHEELS/.kft-ok" ] || [ "$(cat "$WHEELS/.kft-ok")" != "$(echo "${torch_pins[*]}" | sha256sum | cut -c1-16)" ]; then
		rm -rf "$WHEELS" && mkdir -p "$WHEELS"
		run "${NICE[@]}" "$PYTHON" -m pip download -q --no-deps --only-binary=:all: -d "$WHEELS" "${torch_pins[@]}"
		echo "${torch_pins[*]}" | sha256sum | cut -c1-16 >"$WHEELS/.kft-ok"
	fi
	rm -rf "$VENV" "$OVERLAY"
	run "$PYTHON" -m venv "$VENV"
	local toy=()
	for r in "${TOY_REQS[@]}"; do toy+=("$(pin "$r")"); done
	run "${NICE[@]}" "$VENV/bin/pip" install -q --find-links "$WHEELS" -c "$CONSTRAINTS" "${FLOW_REQS[@]}" "${toy[@]}"
	run "${NICE[@]}" "$VENV/bin/pip" install -q --no-deps "$(pin pyfate)"
	run "${NICE[@]}" "$VENV/bin/pip" install -q --no-deps "${extras[@]}"
	local ov=()
	for r in "${OVERLAY_REQS[@]}"; do ov+=("$(pin "$r")"); done
	run "${NICE[@]}" "$VENV/bin/pip" install -q --no-deps --target "$OVERLAY" "${ov[@]}"
	check_freeze
	# What the server, the CLI and the toy example import.
	run env -C /tmp "$VENV/bin/python" -c '
import fate_flow.runtime.system_settings, fate_flow.apps, fate_flow.db.base_models
import fate_client.flow_cli.flow, fate.components.components.toy_example
import fate.arch.computing.backends.standalone, fate.arch.federation.backends.pulsar, torch, pulsar
print("imports ok; torch", torch.__version__)'
	run "$VENV/bin/flow" --help
	PYTHONPATH=$OVERLAY run "$VENV/bin/python" -c 'import cryptography, pymysql._auth as a; assert a._have_cryptography; print("overlay ok", cryptography.__version__)'
	"$VENV/bin/python" -c 'import pymysql._auth as a; raise SystemExit(a._have_cryptography)' ||
		die "cryptography must not be importable from the venv itself (the FATE image lacks it)"
	echo "$key" >"$OVERLAY/.kft-ok"
	echo "$key" >"$VENV/.kft-ok"
	echo "$extras_key" >"$VENV/.kft-extras-ok"
	log "venv: built in $(($(now) - t0))s"
}

# ------------------------------------------------------------------------------------------------------
# MySQL: Debian 12 has no mysql-server. Debian unstable has (MySQL 9.x, libc 2.38+), so its packages are
# unpacked into the cache with a private apt state (the machine's apt sources are not touched) and mysqld is
# run through the unpacked dynamic loader with the unpacked libraries.
APT_DIR=$WL/apt-unstable

apt_private() {
	local uri
	uri=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null) || true
	[ -n "$uri" ] || uri=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null) || true
	[ -n "$uri" ] || die "no Debian mirror found in the apt sources"
	mkdir -p "$APT_DIR/lists/partial" "$APT_DIR/archives/partial" "$APT_DIR/etc"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri sid main" >"$APT_DIR/etc/sources.list"
	touch "$APT_DIR/status"
	APT_OPTS=(-o "Dir::Etc::SourceList=$APT_DIR/etc/sources.list" -o Dir::Etc::SourceParts=/nonexistent
		-o "Dir::State::Lists=$APT_DIR/lists" -o "Dir::Cache::Archives=$APT_DIR/archives"
		-o "Dir::Cache::pkgcache=$APT_DIR/pkgcache.bin" -o "Dir::Cache::srcpkgcache=$APT_DIR/srcpkgcache.bin"
		-o "Dir::State::status=$APT_DIR/status" -o APT::Architecture=amd64 -o APT::Sandbox::User=root)
}

mysql_cached() { # newest cached mysql-<ver> with a marker, or the requested one
	local d
	if [ -n "${KFT_MYSQL_VERSION:-}" ]; then
		[ -f "$WL/mysql-$KFT_MYSQL_VERSION/.kft-ok" ] && echo "$WL/mysql-$KFT_MYSQL_VERSION"
		return 0
	fi
	for d in $(printf '%s\n' "$WL"/mysql-[0-9]*/ | sort -V -r); do
		[ -d "$d" ] || continue
		[ -f "$d/.kft-ok" ] && { echo "${d%/}"; return 0; }
	done
	return 0
}

build_mysql() {
	local d t0 ver pkgs f
	d=$(mysql_cached)
	if [ -n "$d" ]; then
		MYSQL_DIR=$d
		log "mysql: cached ($d)"
		return
	fi
	t0=$(now)
	begin mysql "unpacking Debian unstable's mysql-server-core"
	apt_private
	run apt-get "${APT_OPTS[@]}" update
	ver=$(apt-cache "${APT_OPTS[@]}" policy mysql-server-core | awk '/Candidate:/{print $2}')
	{ [ -n "$ver" ] && [ "$ver" != "(none)" ]; } || die "Debian unstable serves no mysql-server-core"
	if [ -n "${KFT_MYSQL_VERSION:-}" ] && [ "$ver" != "$KFT_MYSQL_VERSION" ]; then
		die "KFT_MYSQL_VERSION=$KFT_MYSQL_VERSION is not served; the current one is $ver"
	fi
	MYSQL_DIR=$WL/mysql-$ver
	# The library closure, without perl (only the helper scripts need it).
	pkgs=$(apt-cache "${APT_OPTS[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
		--no-replaces --no-enhances --no-pre-depends "mysql-server-core=$ver" 2>>"$LOG" |
		grep -v '^ ' | grep -v '^<' | sort -u | grep -vE '^(perl|perl-base|perl-modules-.*|libperl.*|libgdbm.*|libdb5.3t64)$')
	rm -rf "$MYSQL_DIR" && mkdir -p "$MYSQL_DIR/debs" "$MYSQL_DIR/root" "$MYSQL_DIR/bin"
	# shellcheck disable=SC2086
	(cd "$MYSQL_DIR/debs" && run apt-get "${APT_OPTS[@]}" download $pkgs)
	for f in "$MYSQL_DIR"/debs/*.deb; do run dpkg-deb -x "$f" "$MYSQL_DIR/root"; done
	cat >"$MYSQL_DIR/bin/mysqld" <<'EOF'
#!/bin/sh
# mysqld of the unpacked Debian package, run with its own loader and libraries (they need a newer libc than
# the machine's). Options as for mysqld; --defaults-file must come first, as usual.
R=$(cd "$(dirname "$0")/../root" && pwd)
L=$R/usr/lib/x86_64-linux-gnu
exec "$L/ld-linux-x86-64.so.2" --library-path "$L" "$R/usr/sbin/mysqld" "$@"
EOF
	chmod +x "$MYSQL_DIR/bin/mysqld"
	# Defaults every instance needs: where the unpacked files are (append datadir, port, ... per instance).
	cat >"$MYSQL_DIR/my.cnf.base" <<EOF
[mysqld]
basedir=$MYSQL_DIR/root/usr
lc-messages-dir=$MYSQL_DIR/root/usr/share/mysql
character-sets-dir=$MYSQL_DIR/root/usr/share/mysql/charsets
plugin-dir=$MYSQL_DIR/root/usr/lib/mysql/plugin
mysqlx=OFF
user=root
EOF
	"$MYSQL_DIR/bin/mysqld" --version >>"$LOG" 2>&1 || die "the unpacked mysqld does not run"
	# Smoke test: initialise a throw-away data directory (no server is left running).
	local tmp
	tmp=$(mktemp -d)
	{ cat "$MYSQL_DIR/my.cnf.base"; printf 'datadir=%s/data\nlog-error=%s/error.log\n' "$tmp" "$tmp"; } >"$tmp/my.cnf"
	run "$MYSQL_DIR/bin/mysqld" --defaults-file="$tmp/my.cnf" --initialize-insecure
	rm -rf "$tmp" "$MYSQL_DIR/debs"
	"$MYSQL_DIR/bin/mysqld" --version | tee "$MYSQL_DIR/.kft-ok" >>"$LOG"
	ln -sfn "$(basename "$MYSQL_DIR")" "$WL/mysql-current"
	log "mysql: $(cat "$MYSQL_DIR/.kft-ok") unpacked in $(($(now) - t0))s"
}

# ------------------------------------------------------------------------------------------------------
# Pulsar standalone: its runtime classpath from Maven Central (there is no distribution artifact there).
build_pulsar() {
	local key extras_key t0
	key=$(sha "$PULSAR_POM" "$TOOLS_DIR/pulsar-standalone/functions_worker.yml" "$TOOLS_DIR/pulsar-standalone/log4j2.properties" "${BASH_SOURCE[0]}")
	if [ -f "$PULSAR_DIR/.kft-ok" ] && [ "$(cat "$PULSAR_DIR/.kft-ok")" = "$key" ]; then
		log "pulsar: cached ($PULSAR_DIR)"
		return
	fi
	t0=$(now)
	begin pulsar "resolving Pulsar $PULSAR_VERSION from Maven into $PULSAR_DIR/lib"
	command -v mvn >/dev/null || die "mvn not found"
	command -v java >/dev/null || die "java not found (Pulsar 2.10 standalone runs on JDK 17)"
	rm -rf "$PULSAR_DIR" && mkdir -p "$PULSAR_DIR/conf" "$PULSAR_DIR/bin"
	run "${NICE[@]}" mvn -q -B -f "$PULSAR_POM" -Dpulsar.version="$PULSAR_VERSION" dependency:copy-dependencies \
		-DoutputDirectory="$PULSAR_DIR/lib.tmp" -DincludeScope=runtime
	[ -f "$PULSAR_DIR/lib.tmp/pulsar-broker-$PULSAR_VERSION.jar" ] || die "pulsar-broker-$PULSAR_VERSION.jar not resolved"
	mv "$PULSAR_DIR/lib.tmp" "$PULSAR_DIR/lib"
	cp "$TOOLS_DIR/pulsar-standalone/functions_worker.yml" "$TOOLS_DIR/pulsar-standalone/log4j2.properties" "$PULSAR_DIR/conf/"
	cat >"$PULSAR_DIR/bin/pulsar-standalone" <<'EOF'
#!/bin/sh
# `bin/pulsar standalone -nss` of the distribution, from the Maven classpath.
# Usage: pulsar-standalone STANDALONE_CONF [more PulsarStandaloneStarter options]
# Runs in the current directory (data/ and conf/functions_worker.yml are relative to it, as in /pulsar of
# the image). PULSAR_MEM (default -Xms256m -Xmx512m -XX:MaxDirectMemorySize=256m) as in the image.
set -eu
P=$(cd "$(dirname "$0")/.." && pwd)
CONF=$1; shift
mkdir -p conf logs
[ -f conf/functions_worker.yml ] || cp "$P/conf/functions_worker.yml" conf/
exec java ${PULSAR_MEM:--Xms256m -Xmx512m -XX:MaxDirectMemorySize=256m} \
  --add-opens java.base/java.io=ALL-UNNAMED --add-opens java.base/jdk.internal.loader=ALL-UNNAMED \
  --add-opens java.base/sun.net=ALL-UNNAMED --add-opens java.management/sun.management=ALL-UNNAMED \
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED --add-opens java.base/java.lang=ALL-UNNAMED \
  -Dio.netty.tryReflectionSetAccessible=true -Djute.maxbuffer=10485760 -Djava.net.preferIPv4Stack=true \
  -Dzookeeper.4lw.commands.whitelist='*' -Dlog4j.configurationFile="$P/conf/log4j2.properties" \
  -Dpulsar.log.dir="$PWD/logs" -cp "$P/lib/*" org.apache.pulsar.PulsarStandaloneStarter --config "$CONF" -nss "$@"
EOF
	chmod +x "$PULSAR_DIR/bin/pulsar-standalone"
	# --help exits 1 (no --config) but prints the usage only if the classpath loads.
	(cd "$PULSAR_DIR" && { java -cp "lib/*" org.apache.pulsar.PulsarStandaloneStarter --help 2>&1 || true; }) >"$PULSAR_DIR/usage.txt"
	cat "$PULSAR_DIR/usage.txt" >>"$LOG"
	grep -q -- "--no-stream-storage" "$PULSAR_DIR/usage.txt" || die "PulsarStandaloneStarter does not load from $PULSAR_DIR/lib"
	echo "$key" >"$PULSAR_DIR/.kft-ok"
	log "pulsar: $(find "$PULSAR_DIR/lib" -mindepth 1 -maxdepth 1 | wc -l) jars in $(($(now) - t0))s"
}

print_env() {
	MYSQL_DIR=${MYSQL_DIR:-$(mysql_cached)}
	cat <<EOF
KFT_FATE_VENV=$VENV
KFT_FATE_CRYPTOGRAPHY_OVERLAY=$OVERLAY
KFT_MYSQL_DIR=$MYSQL_DIR
KFT_PULSAR_DIR=$PULSAR_DIR
EOF
}

[ $# -gt 0 ] || set -- all
T_ALL=$(now)
for what in "$@"; do
	case $what in
	all) build_venv; build_mysql; build_pulsar ;;
	venv) build_venv ;;
	mysql) build_mysql ;;
	pulsar) build_pulsar ;;
	env) build_venv; build_mysql; build_pulsar; STEP="env"; print_env ;;
	*) STEP=args; die "unknown argument '$what' (all|venv|mysql|pulsar|env)" ;;
	esac
done
STEP="done"
log "ready in $(($(now) - T_ALL))s"
