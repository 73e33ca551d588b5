# nhi-risk: `make report` (set-up + demo report) and `make test` (the whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.nhi-risk-installed
DEMO   ?= data/demo
DB     ?= data/warehouse.duckdb
SCALE  ?= default
SEED   ?= 7

.PHONY: install demo ingest report metrics test lint format clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name nhi-risk --display-name "nhi-risk" >/dev/null
	@touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/nhi-risk demo --out $(DEMO) --scale $(SCALE) --seed $(SEED)

ingest: demo
	$(BIN)/nhi-risk ingest --quiet $(DEMO)/sources data/reference --db $(DB)

report: ingest
	$(BIN)/nhi-risk report --db $(DB)

metrics: install
	$(BIN)/nhi-risk metrics --db $(DB)

test: install
	$(BIN)/ruff check analytics tests
	$(BIN)/ruff format --check analytics tests
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff format --check analytics tests
	$(BIN)/ruff check analytics tests

format: install
	$(BIN)/ruff format analytics tests
	$(BIN)/ruff check --fix analytics tests

clean:
	rm -rf $(DEMO) reports $(DB) $(DB).wal .pytest_cache
