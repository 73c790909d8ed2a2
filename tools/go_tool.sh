#!/usr/bin/env bash
# Build a Go command-line tool the tests use from the Go module proxy into the versioned cache, like
# tools/toolchain.sh does for the toolchain:
#   netpol-analyzer  np-guard's `k8snetpolicy`, an implementation of Kubernetes NetworkPolicy semantics
#                    (tests/test_network_policies.py evaluates the rendered policies with it)
#   kube-score       the manifest scanner of `make scan` (tests/test_scan.py)
#
# Usage: tools/go_tool.sh NAME    build it if missing; print the binary's path on stdout
# Env:   KFT_CACHE (default ~/.cache/kubefate-tanzu), KFT_BUILD_NICE (default 10)
set -euo pipefail

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$TOOLS_DIR/versions.env"
KFT_CACHE=${KFT_CACHE:-$HOME/.cache/kubefate-tanzu}
NAME=${1:?usage: tools/go_tool.sh netpol-analyzer|kube-score}
case $NAME in
netpol-analyzer) PKG=github.com/np-guard/netpol-analyzer/cmd/netpolicy VERSION=$NETPOL_ANALYZER_VERSION EXE=k8snetpolicy ;;
kube-score) PKG=github.com/zegl/kube-score/cmd/kube-score VERSION=$KUBE_SCORE_VERSION EXE=kube-score ;;
*) echo "go_tool: unknown tool $NAME" >&2 && exit 2 ;;
esac
MODULE=${PKG%/cmd/*}
DEST=$KFT_CACHE/$NAME/$VERSION
BIN=$DEST/$EXE
LOG=$KFT_CACHE/logs/$NAME.log

if [ -x "$BIN" ]; then
	echo "$BIN"
	exit 0
fi
mkdir -p "$KFT_CACHE/logs" "$KFT_CACHE/build"
exec 9>"$KFT_CACHE/.$NAME.lock"
flock 9
if [ -x "$BIN" ]; then # built by a concurrent run while we waited
	echo "$BIN"
	exit 0
fi
command -v go >/dev/null 2>&1 || PATH=/usr/local/go/bin:$PATH
command -v go >/dev/null 2>&1 || { echo "$NAME: FAILED: go is not installed" >&2; exit 1; }
export GOMODCACHE=$KFT_CACHE/go/mod GOCACHE=$KFT_CACHE/go/build CGO_ENABLED=0 \
	GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local
echo "$NAME: building $MODULE@$VERSION from the Go module proxy into $DEST (log: $LOG)" >&2
work=$KFT_CACHE/build/$NAME
rm -rf "$work" "$DEST.partial" && mkdir -p "$work" "$DEST.partial"
if ! (
	cd "$work" &&
		go mod init "local.build/$NAME" &&
		go get -tool "$PKG@$VERSION" &&
		nice -n "${KFT_BUILD_NICE:-10}" go build -trimpath -ldflags "-s -w" -o "$DEST.partial/$EXE" "$PKG"
) >"$LOG" 2>&1; then
	tail -n 25 "$LOG" >&2
	echo "$NAME: FAILED (full log: $LOG)" >&2
	exit 1
fi
rm -rf "$DEST" && mv "$DEST.partial" "$DEST"
echo "$BIN"
