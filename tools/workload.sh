#!/usr/bin/env bash
# The real programs of the workload layer (tests/workload/, docs/workload.md), from Debian's packages:
# Apache Traffic Server (the exchange's ATS) and nginx with the Lua module (FATE's OpenResty proxy; lua-yaml
# for its stand-in route_table.lua), plus nftables for the wire tests' address translation.
# Idempotent: installs only what is missing, never starts the packages' own services (the tests start the
# programs themselves, in their own namespaces). Needs root, as apt does; `make test` runs it.
set -euo pipefail

# Debian package -> a command it provides that the runner uses.
PACKAGES=(
	"trafficserver:traffic_manager"
	"nginx-extras:nginx"
	"libnginx-mod-http-lua:"
	"lua-resty-core:"
	"lua-resty-lrucache:"
	"lua-yaml:"
	"nftables:nft"
	"iproute2:ip"
	"util-linux:nsenter"
)

log() { echo "workload: $*" >&2; }
die() { echo "workload: FAILED: $*" >&2; exit 1; }

missing=()
for entry in "${PACKAGES[@]}"; do
	pkg=${entry%%:*}
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done

if [ "${#missing[@]}" -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || die "packages ${missing[*]} are missing and installing them needs root"
	command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install ${missing[*]} by other means"
	log "installing ${missing[*]}"
	# Keep the packages' init scripts from starting nginx on :80 or ATS on :8080 during the install.
	policy=/usr/sbin/policy-rc.d
	had_policy=
	[ -e "$policy" ] && had_policy=1
	if [ -z "$had_policy" ]; then
		printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy"
		trap 'rm -f "$policy"' EXIT
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq || die "apt-get update"
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]}"
fi

for entry in "${PACKAGES[@]}"; do
	cmd=${entry#*:}
	[ -z "$cmd" ] || command -v "$cmd" >/dev/null 2>&1 || die "${entry%%:*} is installed but $cmd is not on PATH"
done
# ATS 9.x: the exchange image's major version (records.config, not 10.x's records.yaml).
v=$(traffic_server -V 2>&1 | sed -n 's/^Traffic Server \([0-9][0-9.]*\).*/\1/p' | head -n1)
case "$v" in 9.*) ;; *) die "traffic_server reports version '${v:-?}', the workload layer needs 9.x" ;; esac
log "ready: Traffic Server $v, $(nginx -v 2>&1 | sed 's/^nginx version: //')"
