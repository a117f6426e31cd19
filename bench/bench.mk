# Benchmarks: included from the Makefile (`include bench/bench.mk`). See bench/README.md.
# Kept apart from `make test`: figures depend on the machine and on its load.

BENCH_ARGS ?=

.PHONY: bench bench-smoke

bench: setup ## the benchmark suite: tables, bench/results/*.json and PNG plots (~13 min)
	@$(BIN)/python -c 'import matplotlib' 2>/dev/null || $(BIN)/pip install --quiet -e '.[bench]'
	$(PY) -m bench $(BENCH_ARGS)

bench-smoke: setup ## every benchmark at tiny sizes, as tests (seconds each)
	$(BIN)/pytest tests/bench -q -m bench $(PYTEST_ARGS)
