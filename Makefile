# kubefate-tanzu developer targets. See docs/toolchain.md for what `tools` and `cluster-up` provide.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
KFT_CACHE ?= $(HOME)/.cache/kubefate-tanzu
export KFT_CACHE
ENV_FILE := $(KFT_CACHE)/env.sh
# The e2e tests and the demo use a file backend; its secrets need a passphrase from the environment.
# This default is for the throw-away local stacks only; set your own for anything else.
PULUMI_CONFIG_PASSPHRASE ?= kft-local-e2e
export PULUMI_CONFIG_PASSPHRASE
# Tools from `make tools` first on PATH, then the virtualenv (the Python language host runs `python3`
# from PATH when it is not told about the virtualenv).
WITH_TOOLS := . $(ENV_FILE) && export PATH="$(CURDIR)/$(VENV)/bin:$$PATH" VIRTUAL_ENV="$(CURDIR)/$(VENV)" &&
# A recipe prefix: the local cluster is started unless it is running, and then stopped again when the recipe's
# shell exits, even on failure (the recipe's exit status is its last command's).
WITH_CLUSTER = if ! tools/cluster.sh status >/dev/null 2>&1; then \
	trap 'tools/cluster.sh down' EXIT; tools/cluster.sh up || exit 1; fi; \
	export KFT_KUBECONFIG="$${KFT_CLUSTER_DIR:-$(CURDIR)/.local/cluster}/kubeconfig";
# What `make test` runs (e.g. make test PYTEST_ARGS="tests/e2e/test_toolchain_smoke.py -x").
PYTEST_ARGS ?= tests
# Used when requirements.txt is missing (it is normally the source of truth).
FALLBACK_REQUIREMENTS := pulumi==3.272.0 pulumi-kubernetes==4.34.2 pulumi-random==4.21.4 pulumi-tls==5.6.2 \
	pulumi-vsphere==4.18.2 pydantic pyyaml pytest ruff

.PHONY: help tools venv workload fate-runtime go-tools checkov scan cluster-up cluster-down cluster-status test demo lint bench

help:
	@echo "make tools         Pulumi CLI + plugins + control-plane binaries (official installs or built from the Go module proxy)"
	@echo "make venv          .venv with requirements.txt"
	@echo "make workload      the real programs of the workload layer (Debian: trafficserver, nginx-extras)"
	@echo "make fate-runtime  FATE-Flow 2.0.0 venv, MySQL and Pulsar for the workload layer (cached, docs/workload-fate.md)"
	@echo "make go-tools      np-guard's NetworkPolicy evaluator and kube-score for the tests (cached, docs/toolchain.md)"
	@echo "make checkov       checkov in its own venv for the scan (cached by version, tools/checkov.sh)"
	@echo "make scan          kube-score + checkov over every shipped stack's manifests against scan/accepted-findings.yaml"
	@echo "make cluster-up    local loopback Kubernetes control plane (kubeconfig: .local/cluster/kubeconfig)"
	@echo "make cluster-down  stop it, leaving no process behind"
	@echo "make test          tools + venv + cluster (if not running), pytest, then stop the cluster it started"
	@echo "make demo          tools + venv + cluster, then python -m federation up"
	@echo "make lint          ruff check + ruff format --check + pyright + shellcheck (tools/lint.sh)"
	@echo "make bench         real-engine benchmarks on the local cluster (bench/results-engine.md; BENCH_CASES=...)"

tools:
	tools/toolchain.sh

# The NetworkPolicy evaluator and the manifest scanner the tests call (cached by version, built from the Go
# module proxy by tools/go_tool.sh).
go-tools:
	@tools/go_tool.sh netpol-analyzer >/dev/null
	@tools/go_tool.sh kube-score >/dev/null

# checkov, the scan's second scanner: a PyPI application in a venv of its own, cached by version and lock file
# (tools/checkov.sh, tools/checkov-constraints.txt), never in .venv.
checkov:
	@tools/checkov.sh >/dev/null

# kube-score and checkov over every shipped stack's manifests against scan/accepted-findings.yaml (no cluster needed).
scan: venv go-tools checkov
	$(VENV)/bin/python -m pytest -q tests/test_scan.py

venv: $(VENV)/.requirements-installed

workload:
	tools/workload.sh

fate-runtime:
	tools/fate_runtime.sh

$(VENV)/.requirements-installed: $(wildcard requirements.txt)
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check --upgrade pip
	if [ -f requirements.txt ]; then \
		$(VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt; \
	else \
		$(VENV)/bin/python -m pip install -q --disable-pip-version-check $(FALLBACK_REQUIREMENTS); \
	fi
	touch $@

cluster-up: tools
	tools/cluster.sh up

cluster-down:
	tools/cluster.sh down

cluster-status:
	tools/cluster.sh status

# The cluster is started only if it is not running, and then stopped again even when pytest fails;
# pytest's exit status is the target's.
test: tools venv workload fate-runtime go-tools checkov
	@$(WITH_CLUSTER) $(WITH_TOOLS) $(VENV)/bin/python -m pytest -q $(PYTEST_ARGS)

# Real-engine benchmarks (bench/bench_engine.py), cluster handled as for `make test`; BENCH_CASES picks some of
# evaluation, converge, drift, scale (default: all).
BENCH_CASES ?=
bench: tools venv
	@$(WITH_CLUSTER) $(WITH_TOOLS) $(VENV)/bin/python -m bench.bench_engine $(BENCH_CASES)

# The local federation (Pulumi.local-*.yaml, docs/e2e.md): the kft-local volume provisioner beside the run, then the parties' endpoints, the exchange's
# routes and who is federated. State: .pulumi-state/ (ignored); passphrase: PULUMI_CONFIG_PASSPHRASE above.
demo: tools venv cluster-up
	$(WITH_TOOLS) $(VENV)/bin/python -m tests.e2e.local_provisioner --kubeconfig .local/cluster/kubeconfig -- \
		$(VENV)/bin/python -m federation up --variant local
	@$(WITH_TOOLS) $(VENV)/bin/python -m federation status --variant local
	@$(WITH_TOOLS) export PULUMI_BACKEND_URL="$${PULUMI_BACKEND_URL:-file://$(CURDIR)/.pulumi-state}" && \
	for out in nginxRouteTable sniRoutes; do \
		echo "exchange $$out:"; pulumi stack output --stack local-exchange $$out; done

lint: venv
	tools/lint.sh
