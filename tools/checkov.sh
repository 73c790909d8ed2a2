#!/usr/bin/env bash
# checkov, the second scanner of `make scan` (tests/test_scan.py), in a virtualenv of its own: it is a large
# PyPI application (~95 packages: boto3, aiohttp, networkx, ...) whose pins must not meet the project's .venv.
# The venv is cached by version and by its lock file, like the FATE runtime venv (tools/fate_runtime.sh):
#   $KFT_CACHE/checkov/<CHECKOV_VERSION>-<hash of tools/checkov-constraints.txt>/venv
# tools/checkov-constraints.txt is `pip freeze` of a venv of exactly CHECKOV_VERSION (tools/versions.env), used
# as `pip install -c`, so a cold machine gets the same tree; the build fails if the freeze differs from it.
#
# Usage: tools/checkov.sh        build the venv if missing; print the checkov executable's path on stdout
#        tools/checkov.sh lock   after changing CHECKOV_VERSION: resolve it afresh and rewrite the lock file
# Env:   KFT_CACHE (default ~/.cache/kubefate-tanzu), KFT_CHECKOV_PYTHON (default python3.11),
#        KFT_BUILD_NICE (default 10)
set -euo pipefail

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$TOOLS_DIR/versions.env"
KFT_CACHE=${KFT_CACHE:-$HOME/.cache/kubefate-tanzu}
PYTHON=${KFT_CHECKOV_PYTHON:-python3.11}
LOCK=$TOOLS_DIR/checkov-constraints.txt
LOG=$KFT_CACHE/logs/checkov.log
FREEZE_MARK="# --- pip freeze of the venv ---"

die() { # die WHAT FIX
	echo "checkov: FAILED: $1" >&2
	echo "checkov: fix: $2" >&2
	exit 1
}

# The venv's directory: version + a hash of the lock file and the interpreter's name, so editing the lock
# or changing the interpreter builds a new venv beside the old one instead of mutating it.
key=$( { cat "$LOCK" 2>/dev/null || true; echo "$PYTHON"; } | sha256sum | cut -c1-16)
DEST=$KFT_CACHE/checkov/$CHECKOV_VERSION-$key
BIN=$DEST/venv/bin/checkov

if [ "${1:-}" = "" ] && [ -f "$DEST/.kft-ok" ] && [ -x "$BIN" ]; then
	echo "$BIN"
	exit 0
fi

command -v "$PYTHON" >/dev/null 2>&1 ||
	die "$PYTHON not found" "install Python 3.11 (Debian: apt-get install python3.11-venv), or set KFT_CHECKOV_PYTHON"
mkdir -p "$KFT_CACHE/logs" "$KFT_CACHE/checkov"
exec 9>"$KFT_CACHE/checkov/.lock"
flock 9
: >"$LOG"
run() { # run FIX COMMAND...: the command's output goes to the log; on failure its tail, then FIX
	local fix=$1
	shift
	"$@" >>"$LOG" 2>&1 || { tail -n 25 "$LOG" >&2; die "command failed: $* (full log: $LOG)" "$fix"; }
}

if [ "${1:-}" = "lock" ]; then
	tmp=$KFT_CACHE/checkov/lock.tmp
	rm -rf "$tmp"
	echo "checkov: resolving checkov==$CHECKOV_VERSION afresh (log: $LOG)" >&2
	fix="check that PyPI serves checkov==$CHECKOV_VERSION for $PYTHON (see the log)"
	"$PYTHON" -m venv "$tmp" >>"$LOG" 2>&1 || die "$PYTHON -m venv failed (log: $LOG)" "apt-get install python3.11-venv"
	nice -n "${KFT_BUILD_NICE:-10}" "$tmp/bin/pip" install -q --disable-pip-version-check --only-binary=:all: \
		"checkov==$CHECKOV_VERSION" >>"$LOG" 2>&1 || { tail -n 25 "$LOG" >&2; die "pip install checkov==$CHECKOV_VERSION" "$fix"; }
	{
		echo "# Every package of checkov's venv (tools/checkov.sh), written by \`tools/checkov.sh lock\` with $PYTHON"
		echo "# for checkov==$CHECKOV_VERSION (tools/versions.env). Used as \`pip install -c\`; the build fails if the venv's"
		echo "# freeze differs. Not the project's requirements: checkov runs only as a program of its own."
		echo "$FREEZE_MARK"
		"$tmp/bin/pip" freeze --disable-pip-version-check
	} >"$LOCK"
	rm -rf "$tmp"
	echo "checkov: wrote $LOCK ($(grep -cv '^#' "$LOCK") packages); run tools/checkov.sh to build the venv" >&2
	exit 0
fi
[ -z "${1:-}" ] || die "unknown argument '$1'" "run tools/checkov.sh (build) or tools/checkov.sh lock"

if [ -f "$DEST/.kft-ok" ] && [ -x "$BIN" ]; then # built by a concurrent run while we waited
	echo "$BIN"
	exit 0
fi
[ -f "$LOCK" ] || die "missing $LOCK" "run tools/checkov.sh lock"
grep -qxiF "checkov==$CHECKOV_VERSION" "$LOCK" ||
	die "$LOCK does not pin checkov==$CHECKOV_VERSION (tools/versions.env)" "run tools/checkov.sh lock after changing the version"

t0=$(date +%s)
echo "checkov: building checkov==$CHECKOV_VERSION with $PYTHON into $DEST (log: $LOG)" >&2
# A venv's scripts name its absolute path, so it is built in place; the marker written last makes it valid.
rm -rf "$DEST"
mkdir -p "$DEST"
run "apt-get install python3.11-venv" "$PYTHON" -m venv "$DEST/venv"
run "if PyPI was unreachable, retry when it is; if a pin no longer installs, run tools/checkov.sh lock and review the diff" \
	nice -n "${KFT_BUILD_NICE:-10}" "$DEST/venv/bin/pip" install -q --disable-pip-version-check --only-binary=:all: \
	-c "$LOCK" "checkov==$CHECKOV_VERSION"
"$DEST/venv/bin/pip" freeze --disable-pip-version-check >"$DEST/freeze.txt"
if ! diff <(sed -n "/^$FREEZE_MARK/,\$p" "$LOCK" | grep -v '^#' | sort -f) <(sort -f "$DEST/freeze.txt") >>"$LOG"; then
	tail -n 25 "$LOG" >&2
	die "the built venv differs from $LOCK (diff in $LOG)" "run tools/checkov.sh lock and review the diff"
fi
version=$("$BIN" --version 2>>"$LOG") || die "$BIN --version does not run (log: $LOG)" "delete $DEST and run tools/checkov.sh again"
[ "$version" = "$CHECKOV_VERSION" ] || die "$BIN reports version '$version'" "run tools/checkov.sh lock"
echo "$key" >"$DEST/.kft-ok"
# Venvs of an earlier version or lock file (~300 MB each) serve nothing once this one is built.
for old in "$KFT_CACHE"/checkov/*/; do
	old=${old%/}
	[ "$old" = "$DEST" ] && continue
	rm -rf "$old"
	echo "checkov: removed the venv of an earlier version or lock: $old" >&2
done
echo "checkov: $version built in $(($(date +%s) - t0))s ($(du -sh "$DEST" | cut -f1))" >&2
echo "$BIN"
