# make run   - install into .venv, create/upgrade the database, load the demo data, serve on :5000
# make test  - install into .venv and run the whole suite on SQLite, then on PostgreSQL
#              when WFSURVEY_TEST_DATABASE_URL is set (all but the browser tests: see below)
# make bench - run every benchmark (bench/, about 10 minutes) and write bench/RESULTS.md
# Extra pytest arguments: PYTEST_ARGS (both runs), PYTEST_SQLITE_ARGS, PYTEST_POSTGRES_ARGS.
# PYTEST_WORKERS: processes each run spreads its tests over (pytest-xdist; 0 runs them in one process).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Written after a successful install; setup.cfg or pyproject.toml newer than it means reinstall.
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000
PYTEST_ARGS ?=
PYTEST_SQLITE_ARGS ?=
PYTEST_POSTGRES_ARGS ?=
# More workers than the 2 cores: most tests spend much of their time waiting (on Chromium, on a subprocess, on
# a scheduler's tick), not computing. Each worker migrates and uses databases of its own (tests/conftest.py).
PYTEST_WORKERS ?= 4
XDIST := -n $(PYTEST_WORKERS) --dist worksteal

.PHONY: venv test run bench clean

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $(STAMP)

# Two runs; the first always on SQLite, so the PostgreSQL variables are removed for it
# (WFSURVEY_REQUIRE_POSTGRES only means something for the PostgreSQL run). The browser tests (tests/e2e, marked
# `browser`) run in the SQLite run only: they check what pages show and do, which does not depend on the database;
# everything else, and every postgres_only test (none may be a browser test), runs on PostgreSQL too.
test: venv
	@echo "== make test: layer contracts (import-linter, [importlinter] in setup.cfg) =="
	$(BIN)/lint-imports
	@echo "== make test: whole suite on SQLite =="
	env -u WFSURVEY_TEST_DATABASE_URL -u WFSURVEY_REQUIRE_POSTGRES \
		$(BIN)/python -m pytest $(XDIST) $(PYTEST_ARGS) $(PYTEST_SQLITE_ARGS)
	@if [ -n "$${WFSURVEY_TEST_DATABASE_URL:-}" ]; then \
		echo "== make test: whole suite but the browser tests on PostgreSQL ($$WFSURVEY_TEST_DATABASE_URL) =="; \
		$(BIN)/python -m pytest $(XDIST) -m "not browser" $(PYTEST_ARGS) $(PYTEST_POSTGRES_ARGS); \
	elif [ "$${WFSURVEY_REQUIRE_POSTGRES:-}" = 1 ]; then \
		echo "make test: WFSURVEY_REQUIRE_POSTGRES=1 but WFSURVEY_TEST_DATABASE_URL is not set" >&2; exit 1; \
	else \
		echo "== make test: PostgreSQL run skipped: WFSURVEY_TEST_DATABASE_URL is not set =="; \
	fi

run: venv
	$(BIN)/wfsurvey init-db
	@$(BIN)/wfsurvey demo || { echo "make run: 'wfsurvey demo' failed (see above); the app was not started" >&2; exit 1; }
	$(BIN)/python -m wfsurvey.devserver --host $(HOST) --port $(PORT)

# Every benchmark of issue 6, about 10 minutes on 2 cores; writes bench/RESULTS.md. HTTP load comes from
# wrk (installed here with apt-get when missing); without it a Python load client stands in, and
# RESULTS.md says so. BENCH_ARGS are passed on (e.g. BENCH_ARGS=--quick, or --only submit,launch).
BENCH_STAMP := $(VENV)/.installed-bench
BENCH_ARGS ?=

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	@command -v wrk >/dev/null 2>&1 || { echo "make bench: installing wrk with apt-get"; \
		{ apt-get install -y -qq wrk || { apt-get update -qq && apt-get install -y -qq wrk; }; } >/dev/null 2>&1 \
		|| echo "make bench: wrk could not be installed; the Python load client (bench/loadclient.py) stands in"; }
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf build dist *.egg-info .pytest_cache bench/_work
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
