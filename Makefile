# The two commands of the README, and their helpers. Everything works from a fresh Debian + Python 3.11 + make.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= .heard
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench bench-year clean postgres

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { apt-get update && apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/heard-daemon --data-dir $(DATA)

lint: $(STAMP)
	$(BIN)/ruff check daemon ui drivers sync tests bench
	$(BIN)/mypy daemon/domain

test: $(STAMP) lint postgres
	$(BIN)/pytest

# heard-hq's tests run on a real PostgreSQL server made from the machine's binaries (initdb, pg_ctl);
# they skip, saying why, where it cannot be installed.
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ apt-get update && apt-get install -y postgresql; } || \
		echo "PostgreSQL could not be installed: the headquarters tests on PostgreSQL will skip"

bench: $(STAMP)
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.live
	$(BIN)/python -m bench.phases
	$(BIN)/python -m bench.printing
	$(BIN)/python -m bench.upstream
	$(BIN)/python -m bench.clock_pass
	$(BIN)/python -m bench.fresh_lan

bench-year: $(STAMP)
	$(BIN)/python -m bench.memory

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache .mypy_cache .ruff_cache
