# Crossmesh — two commands: `make run` (two nodes and the dashboard on the demo data) and `make test`.
# Both create or refresh the local virtual environment in .venv first.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
DATA   ?= data/demo
WS     ?= workspace
NODES  ?= nodes
SEED   ?= 7
PORT   ?= 8501
# pytest processes (pytest-xdist): one per logical CPU; TEST_WORKERS=0 runs the suite in this process.
TEST_WORKERS ?= logical

.PHONY: setup browser prepare run run-embedded test test-fast lint typecheck clean-data

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

setup: $(STAMP)

$(DATA)/manifest.json: | $(STAMP)
	$(BIN)/crossmesh generate --scale demo --seed $(SEED) --out $(DATA)

# Both parties' offline steps (the carrier's plaintext views, the airline's key pair), each in
# its own folder; re-done when the data changes.
$(WS)/.prepared: $(DATA)/manifest.json | $(STAMP)
	$(BIN)/crossmesh prepare --data $(DATA) --workspace $(WS)
	@touch $@

prepare: setup $(WS)/.prepared

# Each party as its own node on 127.0.0.1 (own folders, keys, ledgers and logs in $(NODES)/),
# throw-away certificates, the dashboard a client of the airline node; Ctrl-C stops all three.
run: setup $(DATA)/manifest.json
	$(BIN)/crossmesh demo --data $(DATA) --root $(NODES) --port $(PORT)

# Both parties in one process (the embedded session), the dashboard on $(WS)/.
run-embedded: setup $(WS)/.prepared
	CROSSMESH_WORKSPACE=$(WS) CROSSMESH_DATA=$(DATA) \
		$(BIN)/streamlit run app/main.py --server.address 127.0.0.1 --server.port $(PORT)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy foundation engine geo sample_data app cli bench

# The browser test drives Debian's chromium (never a browser downloaded by Playwright), with CJK
# fonts for the Japanese pages. Installed here when missing and we may (root with apt-get);
# otherwise the browser tests are skipped.
browser:
	@{ command -v chromium >/dev/null 2>&1 && [ -d /usr/share/fonts/opentype/noto ]; } || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing Debian chromium for the browser test"; \
			{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; } \
				|| echo "chromium could not be installed: the browser tests will be skipped"; \
		else echo "chromium not installed: the browser tests will be skipped"; fi; }

test: setup browser
	$(BIN)/ruff check .
	$(BIN)/mypy foundation engine geo sample_data app cli bench
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

# The daily lane: everything but the browser and the tests marked slow (about half the time).
test-fast: setup
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m "not slow and not browser"

clean-data:
	rm -rf data/tiny data/demo $(WS) $(NODES)
