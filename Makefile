# nhi-risk: `make report` (set-up + demo report) and `make test` (the whole suite).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.nhi-risk-installed
DEMO   ?= data/demo
DB     ?= data/warehouse.duckdb
SCALE  ?= default
SEED   ?= 7
# `make bench`: trail sizes in events, and 0 to skip timing `make report` on the large demo.
BENCH_EVENTS ?= 1000000 10000000
BENCH_REPORT ?= 1

.PHONY: install demo ingest report metrics lab test lint format clean bench

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	$(BIN)/python -m ipykernel install --sys-prefix --name nhi-risk --display-name "Python (nhi-risk)" >/dev/null
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

# JupyterLab on notebooks/ with the nhi-risk kernel, the notebooks' default db set to $(DB).
# No dependency on `ingest`: that would load the demo into whatever warehouse DB names.
# LAB_ARGS is passed on, e.g. LAB_ARGS='--no-browser --port 8899'.
lab: install
	@test -f "$(DB)" || { echo "no warehouse at $(DB): run \`make ingest\` (or \`make report\`)" \
		"first, or point DB at an existing warehouse" >&2; exit 2; }
	NHI_RISK_DB="$(abspath $(DB))" $(BIN)/jupyter lab --ServerApp.root_dir=notebooks \
		--MultiKernelManager.default_kernel_name=nhi-risk $(LAB_ARGS)

test: install
	$(BIN)/ruff check analytics tests benchmarks
	$(BIN)/ruff format --check analytics tests benchmarks
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff format --check analytics tests benchmarks
	$(BIN)/ruff check analytics tests benchmarks

format: install
	$(BIN)/ruff format analytics tests benchmarks
	$(BIN)/ruff check --fix analytics tests benchmarks

# The scale benchmark (benchmarks/README.md): ingest against bare DuckDB and pandas, metrics
# and the large report; prints the table and writes benchmarks/results.md.
bench: install
	$(BIN)/python -m benchmarks.run --events $(BENCH_EVENTS) --report $(BENCH_REPORT)

clean:
	rm -rf $(DEMO) reports $(DB) $(DB).wal .pytest_cache
