#!/usr/bin/env bash
# Provide the Pulumi CLI, its Python language host, the provider plugins and the local Kubernetes
# control-plane binaries at the versions pinned in tools/versions.env (`make tools` runs this).
#
# For every component, in this order:
#   1. a matching official install already on PATH / in the user's plugin cache is used as-is;
#   2. else a binary cached by an earlier run in $KFT_CACHE/<name>/<version>/ is used;
#   3. else it is built from the Go module proxy into that cache (GOMODCACHE and GOCACHE live under
#      $KFT_CACHE too, so later builds reuse the downloads and the compiled packages).
# Provider plugins are then registered into $KFT_CACHE/pulumi-home with
# `pulumi plugin install resource NAME VERSION --file PATH`, and $KFT_CACHE/env.sh is written; source
# it to get PATH, PULUMI_HOME and the offline PULUMI_* settings.
#
# Usage: tools/toolchain.sh           build what is missing, register plugins, write env.sh
#        tools/toolchain.sh --env     the same, then print the env file's path on stdout
# Env:   KFT_CACHE (default ~/.cache/kubefate-tanzu), KFT_NO_OFFICIAL=1 to ignore official installs,
#        KFT_BUILD_NICE (default 10).
# Every build logs to $KFT_CACHE/logs/<component>.log; a failure names the component and exits non-zero.
set -euo pipefail

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$TOOLS_DIR/versions.env"
KFT_CACHE=${KFT_CACHE:-$HOME/.cache/kubefate-tanzu}
KFT_PULUMI_HOME=$KFT_CACHE/pulumi-home
LOGS=$KFT_CACHE/logs

log() { echo "toolchain: $*" >&2; }
die() { echo "toolchain: FAILED: $*" >&2; exit 1; }

go_env() {
	command -v go >/dev/null 2>&1 || PATH=/usr/local/go/bin:$PATH
	command -v go >/dev/null 2>&1 || die "go is not installed (needed to build from the Go module proxy)"
	export PATH GOMODCACHE=$KFT_CACHE/go/mod GOCACHE=$KFT_CACHE/go/build CGO_ENABLED=0 \
		GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN=local
}

# A fresh wrapper module in $KFT_CACHE/build/<name>; upstream go.mod replaces only apply to a main module,
# so every build happens inside one of these (see docs/toolchain.md).
new_wrapper() {
	local d=$KFT_CACHE/build/$1
	rm -rf "$d" && mkdir -p "$d" && cd "$d"
	go mod init "local.build/$1" >/dev/null 2>&1
}
gobuild() { nice -n "${KFT_BUILD_NICE:-10}" go build -trimpath "$@"; }
moddir() { go list -m -f '{{.Dir}}' "$1"; }

# ------------------------------------------------------------------------------------------------------
# Build recipes. Each runs in a child process (`toolchain.sh __build <recipe> <outdir>`) with `set -e`
# in force and writes its binaries into <outdir>.

build_pulumi() { # pulumi CLI + Python language host + the two scripts that sit beside it
	local out=$1 sdk=github.com/pulumi/pulumi/sdk/v3 pkg=github.com/pulumi/pulumi/pkg/v3
	new_wrapper pulumi-cli
	# pkg/go.mod: `replace sdk/v3 => ../sdk` (sdk/v3 is required at the same version already) and
	# `replace github.com/atotto/clipboard => github.com/tgummerer/clipboard ...`: copy the non-local ones.
	local gomod
	gomod=$(go mod download -json "$pkg@v$PULUMI_CLI_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
	go mod edit -json "$gomod" | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    o, n = r["Old"], r["New"]
    if n.get("Version"):
        print("-replace=" + o["Path"] + ("@" + o["Version"] if o.get("Version") else "") + "=" + n["Path"] + "@" + n["Version"])
' >replaces.txt
	[ ! -s replaces.txt ] || xargs go mod edit <replaces.txt
	go get -tool "$pkg/cmd/pulumi@v$PULUMI_CLI_VERSION"
	go get "$sdk@v$PULUMI_CLI_VERSION"
	gobuild -tags osusergo,grpcnotrace \
		-ldflags "-s -w -X $sdk/go/common/version.Version=v$PULUMI_CLI_VERSION" -o "$out/pulumi" "$pkg/cmd/pulumi"

	new_wrapper pulumi-language-python
	go get -tool "$sdk/python/cmd/pulumi-language-python@v$PULUMI_LANGHOST_SDK_VERSION"
	gobuild -ldflags "-s -w -X $sdk/go/common/version.Version=v$PULUMI_LANGHOST_SDK_VERSION" \
		-o "$out/pulumi-language-python" "$sdk/python/cmd/pulumi-language-python"

	# The executor script and the dynamic-provider shim ship in the sdk/v3 module zip (the zip drops the
	# exec bit). Taken at the requirements.txt version of the Python SDK.
	local sdkdir
	sdkdir=$(go mod download -json "$sdk@v$PULUMI_EXEC_SDK_VERSION" | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')
	install -m 0755 "$sdkdir/python/cmd/pulumi-language-python-exec" "$sdkdir/python/dist/pulumi-resource-pulumi-python" "$out/"
	[ "$("$out/pulumi" version)" = "v$PULUMI_CLI_VERSION" ] || { echo "built pulumi reports $("$out/pulumi" version)"; exit 1; }
}

build_kubernetes_provider() {
	local out=$1 prov=github.com/pulumi/pulumi-kubernetes/provider/v4
	new_wrapper pulumi-resource-kubernetes
	# provider/go.mod's only replace is `sdk/v4 => ../sdk` (local): require a served sdk/v4 instead.
	go get "$prov@$KUBERNETES_PROVIDER_MODULE" "github.com/pulumi/pulumi-kubernetes/sdk/v4@$KUBERNETES_PROVIDER_SDK"
	# That sdk/v4 asks for a newer pulumi sdk/v3 than the provider's pkg/v3 compiles with: hold sdk/v3 at
	# the version pkg/v3 itself requires (go.mod of the provider commit).
	go mod edit -replace="github.com/pulumi/pulumi/sdk/v3=github.com/pulumi/pulumi/sdk/v3@$KUBERNETES_PROVIDER_PULUMI_SDK"
	# main.go embeds schema-embed.json and terraform-mapping-embed.json, which upstream's `go generate`
	# writes and git ignores, so the module zip lacks them: build a copy of the main package with them
	# generated from the schema.json / terraform-mapping.json that the zip does carry.
	local d
	d=$(moddir "$prov")/cmd/pulumi-resource-kubernetes
	mkdir -p cmd/pulumi-resource-kubernetes
	cp "$d/main.go" cmd/pulumi-resource-kubernetes/ && chmod u+w cmd/pulumi-resource-kubernetes/*
	python3 - "$d" "$KUBERNETES_PROVIDER_LABEL" cmd/pulumi-resource-kubernetes <<'EOF'
import json, sys
src, version, dst = sys.argv[1:4]
schema = json.load(open(src + "/schema.json"))
schema["version"] = version
json.dump(schema, open(dst + "/schema-embed.json", "w"), separators=(",", ":"))
json.dump(json.load(open(src + "/terraform-mapping.json")), open(dst + "/terraform-mapping-embed.json", "w"),
          separators=(",", ":"))
EOF
	go mod tidy
	gobuild -ldflags "-s -w -X $prov/pkg/version.Version=$KUBERNETES_PROVIDER_LABEL" \
		-o "$out/pulumi-resource-kubernetes" ./cmd/pulumi-resource-kubernetes
}

# Terraform-bridged providers (random, tls): tools/bridged/<name>/main.go (the project's own small main
# package) + pulumi-terraform-bridge + the upstream Terraform provider, all from the Go module proxy.
build_bridged() { # out name label tf-module tf-version
	local out=$1 name=$2 label=$3 tfmod=$4 tfver=$5
	new_wrapper "pulumi-resource-$name"
	# The upstream provider lives in an `internal` package; like upstream's ./shim, a local module whose
	# import path sits under the provider's module path may import it and hand it to the bridge.
	mkdir -p shim "cmd/pulumi-resource-$name"
	printf 'module %s/shim\n\ngo 1.25\n' "$tfmod" >shim/go.mod
	cat >shim/shim.go <<SHIM
// Package shim exposes the upstream Terraform provider's internal constructor to the bridge.
package shim

import (
	"github.com/hashicorp/terraform-plugin-framework/provider"
	upstream "$tfmod/internal/provider"
)

func NewProvider() provider.Provider { return upstream.New() }
SHIM
	cp "$TOOLS_DIR/bridged/$name/main.go" "cmd/pulumi-resource-$name/"
	go mod edit -replace="$tfmod/shim=./shim" -require="$tfmod/shim@v0.0.0" \
		-replace="github.com/hashicorp/terraform-plugin-sdk/v2=github.com/pulumi/terraform-plugin-sdk/v2@$TF_PLUGIN_SDK_FORK"
	go get "github.com/pulumi/pulumi-terraform-bridge/v3@$TF_BRIDGE_VERSION" "$tfmod@$tfver"
	go mod tidy
	gobuild -ldflags "-s -w -X main.version=$label" -o "$out/pulumi-resource-$name" "./cmd/pulumi-resource-$name"
	# Constructs the bridged provider without an engine: catches a provider that would not start.
	"$out/pulumi-resource-$name" -get-provider-info >/dev/null
}
build_random_provider() { build_bridged "$1" random "$RANDOM_PROVIDER_LABEL" "$RANDOM_TF_MODULE" "$RANDOM_TF_VERSION"; }
build_tls_provider() { build_bridged "$1" tls "$TLS_PROVIDER_LABEL" "$TLS_TF_MODULE" "$TLS_TF_VERSION"; }

build_kubernetes() { # kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
	local out=$1 v=$KUBERNETES_VERSION
	local sv=v0.${v#v1.} minor
	minor=$(echo "$v" | cut -d. -f2)
	new_wrapper kubernetes
	# k8s.io/kubernetes requires its 31 staging modules at v0.0.0 and replaces them with ./staging/src/...;
	# point each at its published release v0.<minor>.<patch> instead (the list is read from the go.mod).
	local gomod
	gomod=$(go mod download -json "k8s.io/kubernetes@$v" | python3 -c 'import json,sys; print(json.load(sys.stdin)["GoMod"])')
	go mod edit -json "$gomod" | python3 -c '
import json, sys
d = json.load(sys.stdin); s = set()
for r in d.get("Replace") or []:
    if r["New"]["Path"].startswith("./staging/"):
        s.add(r["Old"]["Path"])
    else:
        sys.exit("unexpected replace in k8s.io/kubernetes go.mod: %r" % r)
for q in d.get("Require") or []:
    if q["Path"].startswith("k8s.io/") and q["Version"] == "v0.0.0":
        s.add(q["Path"])
print("\n".join(sorted(s)))' >staging.txt
	sed "s|.*|-replace=&=&@$sv|" staging.txt | xargs go mod edit
	local c cmds="kube-apiserver kube-controller-manager kube-scheduler kubectl"
	for c in $cmds; do echo "k8s.io/kubernetes/cmd/$c@$v"; done | xargs go get -tool
	# The same variables hack/lib/version.sh sets; without them the binaries report v0.0.0-master.
	local ldf="-s -w" p bd
	bd=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		ldf="$ldf -X $p.gitVersion=$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$bd"
	done
	for c in $cmds; do gobuild -ldflags "$ldf" -o "$out/$c" "k8s.io/kubernetes/cmd/$c"; done
}

build_etcd() {
	local out=$1
	new_wrapper etcd
	# server/v3's replaces all point at sibling modules its go.mod already requires at the same tag.
	go get -tool "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
	gobuild -ldflags "-s -w" -o "$out/etcd" go.etcd.io/etcd/server/v3
}

build_kwok() {
	local out=$1
	new_wrapper kwok
	go get -tool "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
	gobuild -ldflags "-s -w" -o "$out/kwok" sigs.k8s.io/kwok/cmd/kwok
	# The kwok binary has no built-in stages (kwokctl injects them): keep the upstream ones beside it.
	local st
	st=$(moddir sigs.k8s.io/kwok)/kustomize/stage
	mkdir -p "$out/stages"
	install -m 0644 "$st/node/fast/node-initialize.yaml" \
		"$st/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml" \
		"$st/pod/fast/pod-ready.yaml" "$st/pod/fast/pod-complete.yaml" "$st/pod/fast/pod-delete.yaml" "$out/stages/"
}

ARG1=${1:-}
if [ "$ARG1" = __build ]; then # child process: run one recipe
	go_env
	"build_$2" "$3"
	exit 0
fi

# ------------------------------------------------------------------------------------------------------
mkdir -p "$LOGS" "$KFT_PULUMI_HOME"
exec 9>"$KFT_CACHE/.toolchain.lock"
if ! flock -n 9; then
	log "another toolchain run holds $KFT_CACHE/.toolchain.lock; waiting"
	flock 9
fi
T0=$SECONDS

# ensure NAME DEST RECIPE FILE...: DEST/FILE... exist, else build them with RECIPE.
ensure() {
	local name=$1 dest=$2 recipe=$3 f missing=
	shift 3
	for f in "$@"; do [ -x "$dest/$f" ] || [ -f "$dest/$f" ] || missing=1; done
	if [ -z "$missing" ]; then
		log "$name: cached in $dest"
		return 0
	fi
	local t=$SECONDS lf=$LOGS/$name.log
	log "$name: building from the Go module proxy into $dest (log: $lf)"
	rm -rf "$dest.partial" && mkdir -p "$dest.partial"
	if ! "$TOOLS_DIR/toolchain.sh" __build "$recipe" "$dest.partial" >"$lf" 2>&1; then
		tail -n 25 "$lf" >&2
		die "$name could not be built (full log: $lf)"
	fi
	for f in "$@"; do [ -e "$dest.partial/$f" ] || die "$name: build finished but $f is missing (log: $lf)"; done
	rm -rf "$dest" && mv "$dest.partial" "$dest"
	log "$name: built in $((SECONDS - t))s"
}

# official_bin NAME: path of NAME on PATH outside our cache (a user's own install), or nothing.
official_bin() {
	[ -z "${KFT_NO_OFFICIAL:-}" ] || return 0
	local p
	p=$(PATH=$(echo "$PATH" | tr ':' '\n' | grep -v "^$KFT_CACHE" | paste -sd:) command -v "$1" 2>/dev/null) || return 0
	echo "$p"
}
version_ge() { [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" = "$2" ]; }

PATH_DIRS=()

# --- Pulumi CLI + language host -------------------------------------------------------------------
PULUMI_BIN=
if p=$(official_bin pulumi) && [ -n "$p" ]; then
	v=$("$p" version 2>/dev/null | sed 's/^v//') || v=
	real=$(readlink -f "$p")
	if [ -n "$v" ] && version_ge "$v" "$PULUMI_WANT" && [ "${v%%.*}" = "${PULUMI_WANT%%.*}" ] &&
		{ [ -x "$(dirname "$real")/pulumi-language-python" ] || official_bin pulumi-language-python | grep -q .; }; then
		log "pulumi: using the installed $p (v$v >= $PULUMI_WANT)"
		PULUMI_BIN=$p
	else
		log "pulumi: ignoring $p (version '${v:-?}', want >= $PULUMI_WANT with pulumi-language-python beside it)"
	fi
fi
if [ -z "$PULUMI_BIN" ]; then
	d=$KFT_CACHE/pulumi/v$PULUMI_CLI_VERSION-langhost-v$PULUMI_LANGHOST_SDK_VERSION-exec-v$PULUMI_EXEC_SDK_VERSION
	ensure pulumi "$d" pulumi pulumi pulumi-language-python pulumi-language-python-exec pulumi-resource-pulumi-python
	PULUMI_BIN=$d/pulumi
	PATH_DIRS+=("$d")
fi

# --- Kubernetes control plane ----------------------------------------------------------------------
k8s_installed() { # $1: binary name; true if an official one of exactly KUBERNETES_VERSION is on PATH
	local p
	p=$(official_bin "$1")
	[ -n "$p" ] || return 1
	if [ "$1" = kubectl ]; then
		"$p" version --client 2>/dev/null | grep -q "^Client Version: $KUBERNETES_VERSION\$"
	else
		"$p" --version 2>/dev/null | grep -q "^Kubernetes $KUBERNETES_VERSION\$"
	fi
}
k8s_ok=1
for c in kube-apiserver kube-controller-manager kube-scheduler kubectl; do k8s_installed $c || k8s_ok=; done
if [ -n "$k8s_ok" ]; then
	log "kubernetes: using the installed $KUBERNETES_VERSION binaries on PATH"
else
	d=$KFT_CACHE/kubernetes/$KUBERNETES_VERSION
	ensure kubernetes "$d" kubernetes kube-apiserver kube-controller-manager kube-scheduler kubectl
	PATH_DIRS+=("$d")
fi
p=$(official_bin etcd)
if [ -n "$p" ] && "$p" --version 2>/dev/null | grep -q "etcd Version: ${ETCD_VERSION#v}\$"; then
	log "etcd: using the installed $p"
else
	d=$KFT_CACHE/etcd/$ETCD_VERSION
	ensure etcd "$d" etcd etcd
	PATH_DIRS+=("$d")
fi
# kwok always comes from the cache: cluster.sh also needs the stage files kept beside it.
d=$KFT_CACHE/kwok/$KWOK_VERSION
ensure kwok "$d" kwok kwok stages/pod-ready.yaml stages/node-heartbeat-with-lease.yaml
PATH_DIRS+=("$d")
KWOK_STAGES=$d/stages

# --- Provider plugins --------------------------------------------------------------------------------
# register NAME VERSION FILE: install FILE as resource plugin NAME VERSION into our PULUMI_HOME.
register() {
	local name=$1 version=$2 file=$3
	local have=$KFT_PULUMI_HOME/plugins/resource-$name-v$version/pulumi-resource-$name
	if [ -x "$have" ] && cmp -s "$have" "$file"; then
		log "plugin $name $version: registered"
		return 0
	fi
	PULUMI_HOME=$KFT_PULUMI_HOME PULUMI_SKIP_UPDATE_CHECK=true \
		"$PULUMI_BIN" plugin install resource "$name" "$version" --file "$file" --reinstall >&2 ||
		die "plugin $name $version: 'pulumi plugin install resource $name $version --file $file' failed"
	log "plugin $name $version: registered from $file"
}
# official_plugin NAME VERSION: a plugin binary an official `pulumi plugin install` left in the user's
# own plugin cache (PULUMI_HOME as it was before env.sh, else ~/.pulumi).
official_plugin() {
	[ -z "${KFT_NO_OFFICIAL:-}" ] || return 0
	local home=${PULUMI_HOME:-$HOME/.pulumi}
	[ "$home" != "$KFT_PULUMI_HOME" ] || home=$HOME/.pulumi
	local f=$home/plugins/resource-$1-v$2/pulumi-resource-$1
	[ ! -x "$f" ] || echo "$f"
}

# provider NAME LABEL RECIPE CACHE-DIR: an official plugin of exactly LABEL, else the cached/built one.
provider() {
	local name=$1 label=$2 recipe=$3 dest=$4 f
	f=$(official_plugin "$name" "$label")
	if [ -n "$f" ]; then
		log "plugin $name $label: using the official $f"
	else
		ensure "pulumi-resource-$name" "$dest" "$recipe" "pulumi-resource-$name"
		f=$dest/pulumi-resource-$name
	fi
	register "$name" "$label" "$f"
}
provider kubernetes "$KUBERNETES_PROVIDER_LABEL" kubernetes_provider \
	"$KFT_CACHE/pulumi-resource-kubernetes/$KUBERNETES_PROVIDER_LABEL-src-v$KUBERNETES_PROVIDER_SOURCE_RELEASE"
# The bridged ones are also keyed by their main.go, so editing it rebuilds them.
main_hash() { sha256sum "$TOOLS_DIR/bridged/$1/main.go" | cut -c1-10; }
provider random "$RANDOM_PROVIDER_LABEL" random_provider \
	"$KFT_CACHE/pulumi-resource-random/$RANDOM_PROVIDER_LABEL-bridge-$TF_BRIDGE_VERSION-tf-$RANDOM_TF_VERSION-main-$(main_hash random)"
provider tls "$TLS_PROVIDER_LABEL" tls_provider \
	"$KFT_CACHE/pulumi-resource-tls/$TLS_PROVIDER_LABEL-bridge-$TF_BRIDGE_VERSION-tf-$TLS_TF_VERSION-main-$(main_hash tls)"

# vsphere: the Go module proxy serves no module of pulumi-vsphere's provider nor of
# terraform-provider-vsphere (docs/toolchain.md), so it can only come from an official install. It is
# optional: the engine needs a provider plugin only when a resource of that package is registered.
if [ -x "$KFT_PULUMI_HOME/plugins/resource-vsphere-v$VSPHERE_PROVIDER_LABEL/pulumi-resource-vsphere" ]; then
	log "plugin vsphere $VSPHERE_PROVIDER_LABEL: registered"
elif f=$(official_plugin vsphere "$VSPHERE_PROVIDER_LABEL") && [ -n "$f" ]; then
	register vsphere "$VSPHERE_PROVIDER_LABEL" "$f"
else
	log "plugin vsphere $VSPHERE_PROVIDER_LABEL: not available (cannot be built from the Go module proxy; see docs/toolchain.md)"
fi

# The labels must be what requirements.txt pins, or the engine looks for plugins nobody registered.
if [ -f "$TOOLS_DIR/../requirements.txt" ]; then
	for pair in "pulumi-kubernetes $KUBERNETES_PROVIDER_LABEL" "pulumi-random $RANDOM_PROVIDER_LABEL" \
		"pulumi-tls $TLS_PROVIDER_LABEL" "pulumi-vsphere $VSPHERE_PROVIDER_LABEL"; do
		read -r -a pair_words <<<"$pair"
		set -- "${pair_words[@]}"
		pin=$(grep -i "^$1==" "$TOOLS_DIR/../requirements.txt" | cut -d= -f3 || true)
		[ -z "$pin" ] || [ "$pin" = "$2" ] ||
			log "WARNING: requirements.txt pins $1==$pin but tools/versions.env registers $2; update versions.env"
	done
fi

# --- env file ------------------------------------------------------------------------------------------
ENV_FILE=$KFT_CACHE/env.sh
tmp=$ENV_FILE.tmp.$$
{
	echo "# Written by tools/toolchain.sh; source it (bash/sh). Versions: tools/versions.env"
	echo "export KFT_CACHE='$KFT_CACHE'"
	path=
	for d in "${PATH_DIRS[@]}"; do path="$path$d:"; done
	# shellcheck disable=SC2016
	echo "case \":\$PATH:\" in *':${PATH_DIRS[0]:-/nonexistent}:'*) ;; *) export PATH='${path}'\"\$PATH\" ;; esac"
	echo "export PULUMI_HOME='$KFT_PULUMI_HOME'"
	echo "export PULUMI_SKIP_UPDATE_CHECK=true"
	echo "export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true"
	echo "export PULUMI_DISABLE_REGISTRY_RESOLVE=true"
	echo "export KFT_PULUMI='$PULUMI_BIN'"
	echo "export KFT_KWOK_STAGES='$KWOK_STAGES'"
	echo "export KFT_KUBERNETES_VERSION='$KUBERNETES_VERSION'"
} >"$tmp"
mv "$tmp" "$ENV_FILE"
log "ready in $((SECONDS - T0))s; environment: . $ENV_FILE"
[ "$ARG1" != --env ] || echo "$ENV_FILE"
