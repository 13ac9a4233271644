# The two commands of the README, and their helpers. Everything works from a fresh Debian + Python 3.11 + make.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= .heard
STAMP  := $(VENV)/.installed

.PHONY: run test lint bench bench-year clean

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

test: $(STAMP) lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.live
	$(BIN)/python -m bench.phases
	$(BIN)/python -m bench.webhooks
	$(BIN)/python -m bench.printing
	$(BIN)/python -m bench.clock_pass
	$(BIN)/python -m bench.fresh_lan

bench-year: $(STAMP)
	$(BIN)/python -m bench.memory

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache .mypy_cache .ruff_cache
