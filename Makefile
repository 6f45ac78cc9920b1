# Crossmesh — two commands: `make run` (dashboard on the demo data) and `make test`.
# Both create or refresh the local virtual environment in .venv first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DATA   ?= data/demo
SEED   ?= 7

.PHONY: setup run test lint typecheck check clean-data

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

$(DATA)/manifest.json: | $(STAMP)
	$(BIN)/crossmesh generate --scale demo --seed $(SEED) --out $(DATA)

run: setup $(DATA)/manifest.json
	@echo "Demo data is in $(DATA)."
	@echo "Next: the secure ingest and the dashboard arrive with the engine and app issues;"
	@echo "meanwhile try: $(BIN)/crossmesh validate $(DATA)   or   $(BIN)/crossmesh --help"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy engine geo sample_data app

test: setup
	$(BIN)/ruff check .
	$(BIN)/mypy engine geo sample_data app
	$(BIN)/python -m pytest -q

clean-data:
	rm -rf data/tiny data/demo
