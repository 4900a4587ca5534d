# `make demo` and `make test` each set themselves up from nothing (a fresh clone).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test deps lint typecheck serve-demo clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "sokbo needs Python 3.11 or newer; set PYTHON=/path/to/python3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

demo: $(STAMP)
	$(BIN)/sokbo --config examples/demo/sokbo.toml demo

serve-demo: $(STAMP)
	$(BIN)/sokbo --config examples/demo/sokbo.toml demo --serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# The programs the consumer tests run (tests/consumers): Debian's jekyll and newsboat;
# the browser tests (tests/test_serve_browser.py) drive Debian's chromium, with a Korean
# font for their screenshots. Installed with apt-get only when missing (as root, else
# through sudo); a no-op otherwise.
DEBIAN_TOOLS := jekyll newsboat chromium
DEBIAN_FONTS := fonts-nanum

deps:
	@missing=""; \
	for tool in $(DEBIAN_TOOLS); do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	for font in $(DEBIAN_FONTS); do \
		dpkg-query -W -f='$${Status}' $$font 2>/dev/null | grep -q "ok installed" || missing="$$missing $$font"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "make deps: the consumer tests need$$missing; installing with apt-get"; \
	if ! command -v apt-get >/dev/null 2>&1; then \
		echo "make deps: no apt-get on this system; install$$missing yourself" >&2; exit 1; fi; \
	if [ "$$(id -u)" -eq 0 ]; then as_root=""; \
	elif command -v sudo >/dev/null 2>&1; then as_root="sudo"; \
	else echo "make deps: installing$$missing needs root or sudo" >&2; exit 1; fi; \
	$$as_root apt-get update -qq && \
	$$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing && \
	echo "make deps: installed$$missing"

# pytest exits 5 when it collected no test; make treats every non-zero status as failure.
# The tests spend most of their time waiting on the processes and servers they start, so
# TEST_WORKERS pytest-xdist workers share the cores (4 on 2 cores: 9 min instead of 28);
# `worksteal` hands a worker that is done tests queued for another, so the slowest ones
# (the 20-kill recovery runs, 2 min each) do not end the run alone.
TEST_WORKERS ?= 4
test: $(STAMP) deps lint typecheck
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

# Extraction quality and speed against peers measured in the same run (not part of `make test`).
.PHONY: bench
# The benchmark scripts (bench/devsets.py is their data loader, not a benchmark).
BENCHMARKS := extraction metadata pagetype parsing feeds crawl stories serve startup polling polling_bound latency store_queries

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	@set -e; for name in $(BENCHMARKS); do echo "== bench/$$name.py"; $(BIN)/python bench/$$name.py; done

clean:
	rm -rf $(VENV) examples/demo/data examples/demo/sites .pytest_cache .mypy_cache .ruff_cache
