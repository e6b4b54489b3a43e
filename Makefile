# Two commands do everything on a fresh Debian/Ubuntu machine with Python >= 3.11:
#   make run    start the dashboard on the built-in demo data (http://localhost:8501)
#   make test   run the whole test suite, browser tests included
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PORT   ?= 8501
# Test processes (pytest-xdist) for all but the browser tests: one per core of the 2-core machines this runs on;
# worksteal lets an idle worker take queued tests from the busy one, so a long test late in the order leaves no
# tail. The browser tests run after them in one process with the machine to themselves (a page must settle
# within 30 s; beside two busy workers it need not).
TEST_WORKERS ?= 2
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test browser bench lint demo clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/streamlit run app.py --server.port $(PORT)

# Debian's Chromium for the Playwright tests (Playwright cannot download its own browser here).
browser:
	@command -v chromium >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium; }
	@command -v pdftoppm >/dev/null 2>&1 || $(SUDO) apt-get install -y -qq poppler-utils

test: $(STAMP) browser
	@status=0; \
	$(PY) -m pytest -n $(TEST_WORKERS) --dist worksteal -m "not e2e" || status=$$?; \
	$(PY) -m pytest -m e2e || status=$$?; \
	exit $$status

bench: $(STAMP)
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

lint: $(STAMP)
	$(VENV)/bin/ruff check .

demo: $(STAMP)
	$(PY) -m geo demo

clean:
	rm -rf $(VENV) test-artifacts .pytest_cache
