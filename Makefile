# The two commands: `make run` and `make test`. Each sets up .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFIG ?= monitor.yaml

.PHONY: run once test lint typecheck rules-test bench clean

$(BIN)/stance-monitor: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $@

run: $(BIN)/stance-monitor
	$(BIN)/stance-monitor run --config $(CONFIG)

once: $(BIN)/stance-monitor
	$(BIN)/stance-monitor run --once --config $(CONFIG)

lint: $(BIN)/stance-monitor
	$(BIN)/ruff check monitor tests bench
	$(BIN)/ruff format --check monitor tests bench

typecheck: $(BIN)/stance-monitor
	$(BIN)/mypy

rules-test: $(BIN)/stance-monitor
	$(BIN)/stance-monitor rules check rules
	$(BIN)/stance-monitor rules test rules

test: $(BIN)/stance-monitor lint typecheck rules-test
	$(BIN)/pytest

bench: $(BIN)/stance-monitor
	$(BIN)/python bench/engine_bench.py
	$(BIN)/python bench/outbox_bench.py
	$(BIN)/python bench/feeds_bench.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
