# The Docker Compose stack (compose.yaml): images built locally, Compose v2 from the Go
# module proxy, its tests. Included from the top-level Makefile.
# Targets: compose-images, compose-up, compose-down, compose-test
COMPOSE_HACK_DIR := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))

.PHONY: compose-images compose-up compose-down compose-test

compose-images: ## Docker, Compose v2 and the images compose.yaml runs (no registry; cached)
	$(COMPOSE_HACK_DIR)/docker-setup.sh
	$(COMPOSE_HACK_DIR)/build-tools.sh compose
	$(COMPOSE_HACK_DIR)/base-image.sh
	$(COMPOSE_HACK_DIR)/image.sh --load-if-running
	$(COMPOSE_HACK_DIR)/prometheus-image.sh

compose-up: compose-images ## the Compose stack with Prometheus, healthy; dashboard at 127.0.0.1:8081
	docker compose --profile monitoring up -d --wait
	@echo "gridops: dashboard http://127.0.0.1:$${GRIDOPS_DASHBOARD_PORT:-8081}/, Prometheus http://127.0.0.1:$${GRIDOPS_PROMETHEUS_PORT:-9090}/"

compose-down: ## stop the Compose stack (its volumes are kept; `docker compose down -v` drops them)
	docker compose --profile monitoring down

compose-test: setup compose-images ## the seed's Compose scenario on the real images (tests/compose)
	$(BIN)/pytest tests/compose -q -p no:cacheprovider $(PYTEST_ARGS)
