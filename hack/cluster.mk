# Registry-free kind cluster, gridops image and E2E tier.
# Include from the top-level Makefile:   include hack/cluster.mk
# Targets: cluster, cluster-down, cluster-status, base-image, image, e2e, ci-e2e
GRIDOPS_HACK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
GRIDOPS_CACHE_DIR ?= $(HOME)/.cache/gridops
GRIDOPS_CLUSTER_NAME ?= gridops
GRIDOPS_IMAGE ?= gridops:dev
GRIDOPS_KUBECONFIG ?= $(GRIDOPS_CACHE_DIR)/kubeconfig-$(GRIDOPS_CLUSTER_NAME)
E2E_PYTHON ?= $(if $(wildcard .venv/bin/python),.venv/bin/python,python3)
E2E_PYTEST_ARGS ?=
export GRIDOPS_CACHE_DIR GRIDOPS_CLUSTER_NAME GRIDOPS_IMAGE GRIDOPS_KUBECONFIG

.PHONY: cluster cluster-down cluster-status base-image image e2e ci-e2e chaos

cluster: ## kind cluster up (builds everything it needs; idempotent)
	$(GRIDOPS_HACK_DIR)/cluster.sh up

cluster-down: ## delete the kind cluster
	$(GRIDOPS_HACK_DIR)/cluster.sh down

cluster-status:
	$(GRIDOPS_HACK_DIR)/cluster.sh status

base-image: ## gridops-base:bookworm-py311 from debootstrap (no registry)
	$(GRIDOPS_HACK_DIR)/docker-setup.sh
	$(GRIDOPS_HACK_DIR)/base-image.sh

image: base-image ## build $(GRIDOPS_IMAGE) and load it into the cluster when one runs
	$(GRIDOPS_HACK_DIR)/image.sh --load-if-running

e2e: ## E2E smoke tests against the running cluster (make cluster image first)
	KUBECONFIG=$(GRIDOPS_KUBECONFIG) PATH="$(GRIDOPS_CACHE_DIR)/bin/current:$$PATH" \
	  $(E2E_PYTHON) -m pytest tests/e2e -m e2e -p no:cacheprovider $(E2E_PYTEST_ARGS)

chaos: ## the chaos suite alone, its random run with 20 kills (GRIDOPS_CHAOS_SEED=N replays one)
	GRIDOPS_CHAOS_KILLS=$${GRIDOPS_CHAOS_KILLS:-20} KUBECONFIG=$(GRIDOPS_KUBECONFIG) \
	  PATH="$(GRIDOPS_CACHE_DIR)/bin/current:$$PATH" \
	  $(E2E_PYTHON) -m pytest tests/e2e/test_chaos.py -m e2e -p no:cacheprovider -s $(E2E_PYTEST_ARGS)

ci-e2e: ## everything from a bare Debian bookworm machine: prerequisites, cluster, image, tests
	$(GRIDOPS_HACK_DIR)/ci-e2e.sh
