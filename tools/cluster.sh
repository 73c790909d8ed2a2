#!/usr/bin/env bash
# A local, loopback-only Kubernetes control plane for end-to-end tests:
# etcd + kube-apiserver (TLS) + kube-controller-manager + kube-scheduler + kwok (fake nodes, pods reported
# Running/Ready, Services of type LoadBalancer given a loopback address). No kubelet, no containers.
#
# Usage: tools/cluster.sh up|down|status     (make cluster-up / make cluster-down)
#   up      start (or keep) the cluster, wait for /readyz and Ready nodes, print the kubeconfig path
#   down    stop every process it started (whole process groups) and verify none is left; wipes etcd data
#   status  show the processes and /readyz; exit 0 only if everything runs
# Env:
#   KFT_CLUSTER_DIR     state directory (default <repo>/.local/cluster; kubeconfig = $KFT_CLUSTER_DIR/kubeconfig)
#   KFT_CLUSTER_PORT    base port (default 16440): apiserver = base+3, etcd client/peer = base+10/+11,
#                       controller-manager = base+20, scheduler = base+21; all bound to 127.0.0.1
#   KFT_CACHE           where tools/toolchain.sh put the binaries and env.sh (default ~/.cache/kubefate-tanzu)
# Binaries come from $KFT_CACHE/env.sh (run `make tools` first).
set -euo pipefail

TOOLS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TOOLS_DIR/.." && pwd)
KFT_CACHE=${KFT_CACHE:-$HOME/.cache/kubefate-tanzu}
S=${KFT_CLUSTER_DIR:-$REPO/.local/cluster}
BASE=${KFT_CLUSTER_PORT:-16440}
API_PORT=$((BASE + 3)) ETCD_PORT=$((BASE + 10)) ETCD_PEER_PORT=$((BASE + 11))
KCM_PORT=$((BASE + 20)) SCHED_PORT=$((BASE + 21))
P=$S/pki KUBECONFIG_FILE=$S/kubeconfig
SERVICE_CIDR=10.96.0.0/16 POD_CIDR=10.244.0.0/16
# kwok's fake workers, sized like the reference architecture's worker VMs (best-effort-large class).
NODES=${KFT_CLUSTER_NODES:-3} NODE_CPU=${KFT_NODE_CPU:-16} NODE_MEMORY=${KFT_NODE_MEMORY:-64Gi}
COMPONENTS="etcd kube-apiserver kube-controller-manager kube-scheduler kwok" # start order

log() { echo "cluster: $*" >&2; }
die() { echo "cluster: FAILED: $*" >&2; exit 1; }

load_tools() {
	if [ -f "$KFT_CACHE/env.sh" ]; then
		# shellcheck disable=SC1091
		. "$KFT_CACHE/env.sh"
	fi
	local b
	for b in etcd kube-apiserver kube-controller-manager kube-scheduler kwok kubectl; do
		command -v "$b" >/dev/null 2>&1 || die "$b not found; run 'make tools' (tools/toolchain.sh) first"
	done
	{ [ -n "${KFT_KWOK_STAGES:-}" ] && [ -d "$KFT_KWOK_STAGES" ]; } || die "kwok stages not found; run 'make tools'"
	# The kubectl on PATH must be ours (this machine's /usr/bin/kubectl is a gcloud dispatcher).
	KUBECTL=$(command -v kubectl)
}

kc() { "$KUBECTL" --kubeconfig "$KUBECONFIG_FILE" "$@"; }

pid_of() { [ -f "$S/run/$1.pid" ] && cat "$S/run/$1.pid"; }
alive() { local p; p=$(pid_of "$1") && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

readyz() {
	curl -fsS --max-time 3 --cacert "$P/ca.crt" --cert "$P/admin.crt" --key "$P/admin.key" \
		"https://127.0.0.1:$API_PORT/readyz" >/dev/null 2>&1
}

# Processes still running that belong to this cluster (their command line names the state dir).
leftovers() {
	local d pid
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		[ "$pid" != $$ ] || continue
		local cmd
		# A process that exits during the scan takes its cmdline with it: the redirection's own error is
		# the shell's, so the group is silenced, not just tr.
		cmd=$({ tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null) || continue
		case "$cmd" in
		*cluster.sh*) ;; # this script and its callers name the dir only as an argument
		*"$S/"*) echo "$pid" ;;
		esac
	done
}

start() { # name command...: own session/process group; pid (= pgid) into run/<name>.pid
	local name=$1
	shift
	# shellcheck disable=SC2016
	setsid bash -c 'echo $$ >"$0"; exec "$@"' "$S/run/$name.pid" "$@" >"$S/logs/$name.log" 2>&1 </dev/null &
	local i
	for i in $(seq 50); do [ -s "$S/run/$name.pid" ] && return 0; sleep 0.1; done
	die "$name did not start (log: $S/logs/$name.log)"
}

wait_for() { # description seconds command... (the description is for the reader of the call)
	local secs=$2 i
	shift 2
	for i in $(seq $((secs * 5))); do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

pki() {
	[ -f "$P/admin.key" ] && [ -f "$P/apiserver.crt" ] && return 0
	rm -rf "$P" && mkdir -p "$P"
	(
		cd "$P"
		o() { openssl "$@" >/dev/null 2>&1 || die "openssl $1 failed"; }
		o req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 3650 -subj "/CN=kft-local-ca"
		o req -newkey rsa:2048 -nodes -keyout apiserver.key -out apiserver.csr -subj "/CN=kube-apiserver"
		printf 'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\nextendedKeyUsage=serverAuth\n' >srv.ext
		o x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile srv.ext -out apiserver.crt
		o req -newkey rsa:2048 -nodes -keyout admin.key -out admin.csr -subj "/O=system:masters/CN=kft-admin"
		printf 'extendedKeyUsage=clientAuth\n' >cli.ext
		o x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -extfile cli.ext -out admin.crt
		o genrsa -out sa.key 2048
		o rsa -in sa.key -pubout -out sa.pub
	)
	chmod 600 "$P"/*.key
}

write_kubeconfig() {
	local tmp=$KUBECONFIG_FILE.tmp
	cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: kft-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 "$P/ca.crt")
users:
- name: kft-admin
  user:
    client-certificate-data: $(base64 -w0 "$P/admin.crt")
    client-key-data: $(base64 -w0 "$P/admin.key")
contexts:
- name: kft-local
  context: {cluster: kft-local, user: kft-admin}
current-context: kft-local
EOF
	chmod 600 "$tmp" && mv "$tmp" "$KUBECONFIG_FILE"
}

kwok_config() {
	local f
	for f in node-initialize node-heartbeat-with-lease pod-ready pod-complete pod-delete; do
		cat "$KFT_KWOK_STAGES/$f.yaml"
		echo '---'
	done
	# LoadBalancer Services: kwok's generic stage controller patches status.loadBalancer. The address is
	# 127.96.<c>.<d> for ClusterIP 10.96.<c>.<d>: loopback, and unique because ClusterIPs are.
	cat <<'EOF'
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: service-load-balancer
spec:
  resourceRef:
    apiGroup: v1
    kind: Service
  selector:
    matchExpressions:
    - key: '.spec.type'
      operator: 'In'
      values: ['LoadBalancer']
    - key: '.status.loadBalancer.ingress'
      operator: 'DoesNotExist'
  next:
    statusTemplate: |
      {{ $ip := splitList "." .spec.clusterIP }}
      loadBalancer:
        ingress:
        - ip: {{ printf "127.96.%s.%s" (index $ip 2) (index $ip 3) | Quote }}
EOF
}

nodes_yaml() {
	local i
	for i in $(seq 0 $((NODES - 1))); do
		cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: kft-worker-$i
  annotations:
    node.alpha.kubernetes.io/ttl: "0"
    kwok.x-k8s.io/node: fake
  labels:
    kubernetes.io/hostname: kft-worker-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
status:
  allocatable: {cpu: "$NODE_CPU", memory: $NODE_MEMORY, pods: "110", ephemeral-storage: 200Gi}
  capacity: {cpu: "$NODE_CPU", memory: $NODE_MEMORY, pods: "110", ephemeral-storage: 200Gi}
---
EOF
	done
}

all_alive() { local c; for c in $COMPONENTS; do alive "$c" || return 1; done; }

cmd_up() {
	load_tools
	mkdir -p "$S/run" "$S/logs"
	if all_alive && readyz; then
		log "already running"
		echo "$KUBECONFIG_FILE"
		return 0
	fi
	if [ -n "$(ls "$S/run" 2>/dev/null)" ] || [ -n "$(leftovers)" ]; then
		log "partial cluster found; stopping it first"
		cmd_down
		mkdir -p "$S/run" "$S/logs"
	fi
	local t0=$SECONDS
	pki
	write_kubeconfig
	rm -rf "$S/etcd"
	mkdir -p "$S/etcd"
	start etcd etcd --name=kft --data-dir="$S/etcd" \
		--listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
		--listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
		--initial-cluster="kft=http://127.0.0.1:$ETCD_PEER_PORT" --listen-metrics-urls= \
		--unsafe-no-fsync --quota-backend-bytes=2147483648 --log-level=warn
	wait_for etcd 30 curl -fs --max-time 2 "http://127.0.0.1:$ETCD_PORT/health" >/dev/null ||
		die "etcd not healthy (log: $S/logs/etcd.log)"

	start kube-apiserver kube-apiserver --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
		--bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
		--tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" --client-ca-file="$P/ca.crt" \
		--authorization-mode=Node,RBAC --service-account-issuer=https://kubernetes.default.svc.cluster.local \
		--service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
		--service-cluster-ip-range="$SERVICE_CIDR" --endpoint-reconciler-type=none \
		--allow-privileged=true --profiling=false --enable-priority-and-fairness=false --v=1
	wait_for apiserver 90 readyz || die "kube-apiserver not ready (log: $S/logs/kube-apiserver.log)"

	local aap=--authorization-always-allow-paths=/healthz,/readyz,/livez,/metrics
	start kube-controller-manager kube-controller-manager --kubeconfig="$KUBECONFIG_FILE" --leader-elect=false \
		--bind-address=127.0.0.1 --secure-port="$KCM_PORT" "$aap" --authentication-skip-lookup=true \
		--service-account-private-key-file="$P/sa.key" --root-ca-file="$P/ca.crt" \
		--use-service-account-credentials=false --service-cluster-ip-range="$SERVICE_CIDR" --profiling=false --v=1
	start kube-scheduler kube-scheduler --kubeconfig="$KUBECONFIG_FILE" --leader-elect=false \
		--bind-address=127.0.0.1 --secure-port="$SCHED_PORT" "$aap" --authentication-skip-lookup=true \
		--profiling=false --v=1
	kwok_config >"$S/kwok.yaml"
	start kwok kwok --kubeconfig="$KUBECONFIG_FILE" --config="$S/kwok.yaml" --manage-all-nodes=true \
		--cidr="$POD_CIDR" --node-ip=127.0.0.1 --node-lease-duration-seconds=40 --v=INFO

	wait_for controller-manager 60 curl -fsk --max-time 2 "https://127.0.0.1:$KCM_PORT/healthz" >/dev/null ||
		die "kube-controller-manager not healthy (log: $S/logs/kube-controller-manager.log)"
	wait_for scheduler 60 curl -fsk --max-time 2 "https://127.0.0.1:$SCHED_PORT/healthz" >/dev/null ||
		die "kube-scheduler not healthy (log: $S/logs/kube-scheduler.log)"
	nodes_yaml | kc apply -f - >/dev/null || die "could not create the kwok nodes"
	kc wait --for=condition=Ready node --all --timeout=60s >/dev/null ||
		die "kwok nodes not Ready (log: $S/logs/kwok.log)"
	# ServiceAccount admission rejects pods until the controller-manager has made `default`.
	wait_for serviceaccount 60 kc get serviceaccount default -n default -o name >/dev/null 2>&1 ||
		die "no default ServiceAccount (log: $S/logs/kube-controller-manager.log)"
	all_alive || die "a component exited during start-up (logs: $S/logs/)"
	log "up in $((SECONDS - t0))s: https://127.0.0.1:$API_PORT, $NODES kwok nodes of $NODE_CPU vCPU / $NODE_MEMORY"
	echo "$KUBECONFIG_FILE"
}

cmd_down() {
	local c pid i rev=
	for c in $COMPONENTS; do rev="$c $rev"; done
	for c in $rev; do
		pid=$(pid_of "$c" 2>/dev/null) || continue
		if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
			kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
			for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
			kill -0 "$pid" 2>/dev/null && { kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true; }
			log "stopped $c (pid $pid)"
		fi
		rm -f "$S/run/$c.pid"
	done
	# Verify: nothing that names our state directory may survive.
	local left
	left=$(leftovers)
	if [ -n "$left" ]; then
		log "killing leftover processes: $left"
		# shellcheck disable=SC2086
		kill -KILL $left 2>/dev/null || true
		sleep 0.5
		left=$(leftovers)
		[ -z "$left" ] || die "processes still running after down: $left"
	fi
	rm -rf "$S/etcd" "$S/run"
	log "down"
}

cmd_status() {
	local c rc=0
	for c in $COMPONENTS; do
		if alive "$c"; then echo "$c: running (pid $(pid_of "$c"))"; else echo "$c: not running"; rc=1; fi
	done
	if [ -f "$P/ca.crt" ] && readyz; then echo "apiserver: ready at https://127.0.0.1:$API_PORT"; else echo "apiserver: not ready"; rc=1; fi
	echo "kubeconfig: $KUBECONFIG_FILE"
	return $rc
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
*) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
