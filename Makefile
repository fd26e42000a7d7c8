# Everything a fresh machine needs is installed from here: `make demo`, `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# pytest workers (pytest-xdist): one per core, at most 4 — each worker drives its own moto
# server, so two processes share a core's work. `make pytest PYTEST_WORKERS=0` runs serially.
PYTEST_WORKERS ?= $(shell n=$$(nproc 2>/dev/null || echo 2); echo $$(( n > 4 ? 4 : n )))

.PHONY: all setup system-deps test lint typecheck pytest demo serve-demo bench soak clean

all: test

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

# Headless Chromium renders the HTML report in one test; poppler-utils is for looking at
# PDFs by hand. Installed when missing and possible (root with apt-get); the Chromium test
# says clearly that it skipped where it could not be installed.
system-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      chromium poppler-utils >/dev/null) || echo "note: could not install chromium/poppler-utils"; \
	  else \
	    echo "note: chromium/poppler-utils missing and not installable here"; \
	  fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check watchkeeper tests bench
	$(BIN)/ruff format --check watchkeeper tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) system-deps
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup

test: lint typecheck pytest

demo: $(STAMP)
	$(BIN)/watchkeeper demo

# The demo, then the dashboard over its database on http://127.0.0.1:8765/ (Ctrl-C stops).
serve-demo: $(STAMP)
	$(BIN)/watchkeeper demo --serve

bench: $(STAMP)
	$(BIN)/python -m bench.collect_bench
	$(BIN)/python -m bench.org_bench --accounts 100 --runs 1 --sides watchkeeper,bare-shared
	$(BIN)/python -m bench.check_bench
	$(BIN)/python -m bench.bench_patterns
	$(BIN)/python -m bench.serve_bench

soak: $(STAMP)
	$(BIN)/python -m bench.kill_soak --trials 30
	$(BIN)/python -m bench.fuzz_patterns --inputs 100000

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
