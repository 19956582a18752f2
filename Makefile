# K8sFlow. On a fresh machine `make run` and `make test` are all it takes (`make help` lists targets).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := build

CONFIG ?= Release
SLN := K8sFlow.sln
CLI_PROJECT := src/K8sFlow.Cli
BIN := bin
K8SFLOW := $(BIN)/k8sflow
DOTNET := dotnet
# Extra `dotnet test` arguments, e.g. make test TEST_ARGS='--filter FullyQualifiedName~Crds'
TEST_ARGS ?=

export DOTNET_CLI_TELEMETRY_OPTOUT := 1
export DOTNET_NOLOGO := 1
export DOTNET_SKIP_FIRST_TIME_EXPERIENCE := 1
# Tools the tests drive: `deps` installs them, the tests find them through these variables.
TOOLS := $(CURDIR)/.tools
export K8SFLOW_HELM := $(TOOLS)/helm

# need(command, what to do when it is missing): quiet and idempotent when everything is there.
# A new tool is one line in `deps`, e.g.  @$(call need,promtool,$(call apt,prometheus))
need = command -v $(1) >/dev/null 2>&1 || { $(2); }
# need_py(module, what to do): for Python modules Debian packages for /usr/bin/python3 (the ML sample's tasks).
need_py = /usr/bin/python3 -c 'import $(1)' >/dev/null 2>&1 || { $(2); }
apt = echo "deps: apt-get install $(1)" && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $(1) >/dev/null
# For tools this machine kind provides and no registry reachable here serves.
fail = { echo "deps: $(1)" >&2; exit 1; }

.PHONY: help deps restore build test bench bench-quick fmt lint crds chart-crds rbac run clean

help:
	@echo "deps     install/check what build and tests need (idempotent)"
	@echo "restore  restore NuGet packages"
	@echo "build    build ($(CONFIG)); the CLI lands at $(K8SFLOW)"
	@echo "test     run every test project; ends with 'Tests: N passed, M failed'"
	@echo "bench    benchmark suite, full size (about 4 minutes): bench-results.json and a table"
	@echo "bench-quick  the benchmark suite at a tenth of the size (about 1 minute)"
	@echo "fmt      dotnet format"
	@echo "lint     format check + build with warnings as errors"
	@echo "crds     regenerate crds/ from the C# API types (and the chart's copy)"
	@echo "chart-crds  copy crds/ into charts/k8sflow/crds"
	@echo "rbac     render config/rbac from the chart's RBAC templates"
	@echo "run      run the sample ML pipeline on this machine (scikit-learn) and print the result"
	@echo "clean    remove build output"

deps:
	@$(call need,dotnet,$(call fail,dotnet not found: install the .NET 10 SDK that global.json names))
	@$(DOTNET) --version | grep -q '^10\.' || $(call fail,the .NET 10 SDK is needed; dotnet --version says $$($(DOTNET) --version))
	@$(call need,kubectl,$(call fail,kubectl not found: it comes preinstalled on this machine kind))
	@$(call need,promtool,$(call apt,prometheus))
	@$(call need,$(K8SFLOW_HELM),scripts/install-helm.sh $(K8SFLOW_HELM))
	@$(call need_py,sklearn,$(call apt,python3-sklearn))

restore: deps
	@$(DOTNET) restore $(SLN) -v quiet

build: restore
	@$(DOTNET) publish $(CLI_PROJECT) -c $(CONFIG) -o $(BIN) --no-restore -v quiet
	@printf '#!/bin/sh\n# kubectl plugin: `kubectl dag ARGS` runs `k8sflow ARGS`.\nexec "$$(dirname "$$(readlink -f "$$0")")/k8sflow" "$$@"\n' > $(BIN)/kubectl-dag && chmod +x $(BIN)/kubectl-dag
	@echo "built $(K8SFLOW) (and $(BIN)/kubectl-dag: put $(BIN) on PATH for kubectl dag ...)"

# TRX files go to each test project's own TestResults/ (one shared folder would let projects that
# finish in the same second overwrite each other's file).
test: restore
	@rm -rf tests/*/TestResults
	@status=0; \
	$(DOTNET) test $(SLN) -c $(CONFIG) --no-restore --logger trx $(TEST_ARGS) || status=$$?; \
	scripts/test-summary.sh tests/*/TestResults/*.trx || status=1; \
	exit $$status

# The operator ($(K8SFLOW), a child process) against the local cluster in simulated mode; see tests/K8sFlow.Benchmarks/README.md.
BENCH := $(DOTNET) run --project tests/K8sFlow.Benchmarks -c $(CONFIG) --no-restore --
BENCH_ARGS ?=

bench: build
	@$(BENCH) --k8sflow $(K8SFLOW) --output bench-results.json $(BENCH_ARGS)

bench-quick: build
	@$(BENCH) --quick --k8sflow $(K8SFLOW) --output bench-results.json $(BENCH_ARGS)

fmt: restore
	@$(DOTNET) format $(SLN) --no-restore

lint: restore
	@$(DOTNET) format $(SLN) --no-restore --verify-no-changes
	@$(DOTNET) build $(SLN) -c $(CONFIG) --no-restore -warnaserror -v quiet

crds: build
	@$(K8SFLOW) crds --output-dir crds
	@$(MAKE) --no-print-directory chart-crds

# Helm installs the CRDs from the chart's crds/; a test fails when they differ from crds/.
chart-crds:
	@rm -f charts/k8sflow/crds/*.yaml && cp crds/*.yaml charts/k8sflow/crds/

rbac: deps
	@scripts/render-rbac.sh config/rbac

run: build
	@$(K8SFLOW) run config/samples/ml-pipeline.yaml

clean:
	@rm -rf $(BIN) src/*/bin src/*/obj tests/*/bin tests/*/obj tests/*/TestResults
