#!/usr/bin/env bash
# Build np-guard's netpol-analyzer (the `k8snetpolicy` CLI, an implementation of Kubernetes NetworkPolicy
# semantics) from the Go module proxy into the versioned cache, like tools/toolchain.sh does for the
# toolchain. The NetworkPolicy tests (tests/test_network_policies.py) evaluate the rendered policies with it.
#
# Usage: tools/netpol_analyzer.sh    build it if missing; print the binary's path on stdout
# Env:   KFT_CACHE (default ~/.cache/kubefate-tanzu), KFT_BUILD_NICE (default 10)
set -euo pipefail

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$TOOLS_DIR/versions.env"
KFT_CACHE=${KFT_CACHE:-$HOME/.cache/kubefate-tanzu}
DEST=$KFT_CACHE/netpol-analyzer/$NETPOL_ANALYZER_VERSION
BIN=$DEST/k8snetpolicy
LOG=$KFT_CACHE/logs/netpol-analyzer.log

if [ -x "$BIN" ]; then
	echo "$BIN"
	exit 0
fi
mkdir -p "$KFT_CACHE/logs" "$KFT_CACHE/build"
exec 9>"$KFT_CACHE/.netpol-analyzer.lock"
flock 9
if [ -x "$BIN" ]; then # built by a concurrent run while we waited
	echo "$BIN"
	exit 0
fi
command -v go >/dev/null 2>&1 || PATH=/usr/local/go/bin:$PATH
command -v go >/dev/null 2>&1 || { echo "netpol-analyzer: FAILED: go is not installed" >&2; exit 1; }
export GOMODCACHE=$KFT_CACHE/go/mod GOCACHE=$KFT_CACHE/go/build CGO_ENABLED=0 \
	GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local
echo "netpol-analyzer: building $NETPOL_ANALYZER_VERSION from the Go module proxy into $DEST (log: $LOG)" >&2
work=$KFT_CACHE/build/netpol-analyzer
rm -rf "$work" "$DEST.partial" && mkdir -p "$work" "$DEST.partial"
if ! (
	cd "$work" &&
		go mod init local.build/netpol-analyzer &&
		go get -tool "github.com/np-guard/netpol-analyzer/cmd/netpolicy@$NETPOL_ANALYZER_VERSION" &&
		nice -n "${KFT_BUILD_NICE:-10}" go build -trimpath -ldflags "-s -w" -o "$DEST.partial/k8snetpolicy" \
			github.com/np-guard/netpol-analyzer/cmd/netpolicy
) >"$LOG" 2>&1; then
	tail -n 25 "$LOG" >&2
	echo "netpol-analyzer: FAILED (full log: $LOG)" >&2
	exit 1
fi
rm -rf "$DEST" && mv "$DEST.partial" "$DEST"
echo "$BIN"
