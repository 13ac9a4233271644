# The two commands of the README, and their helpers. Everything works from a fresh Debian + Python 3.11 + make.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= .heard
STAMP  := $(VENV)/.installed
COMPILED := $(VENV)/.compiled

.PHONY: run test lint bench bench-year screenshots clean postgres chromium package package-lint package-test

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || { apt-get update && apt-get install -y python3-venv && $(PYTHON) -m venv $(VENV); }

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/pip install --quiet --upgrade pip
	@# The domain is compiled next, once, by $(COMPILED): not in this isolated build as well.
	HEARD_PURE_PYTHON=1 $(BIN)/pip install --quiet -e '.[dev]'
	@# Qt's wheels bring no fonts: without one the screen draws no text (STACK.md).
	@test -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf || { apt-get update && apt-get install -y fonts-dejavu-core; }
	touch $(STAMP)

# The domain's hot modules compiled with mypyc (setup.py), beside their sources: again whenever a domain
# source changes, so `make run`, `make test` and `make bench` never run a compiled module older than its
# source (daemon/domain/compiled.py guards a bare pytest the same way).
$(COMPILED): $(STAMP) setup.py $(wildcard daemon/domain/*.py)
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	@$(BIN)/python -c 'from daemon.domain import compiled; print("heard: the domain runs", compiled.describe())'
	touch $(COMPILED)

# The daemon with the demo POS, and the screen beside it. Without a display heard-ui says so in one line
# (and how to see the screen anyway) and the daemon keeps serving until Ctrl-C.
run: $(COMPILED)
	@rm -f $(DATA)/daemon.json
	@$(BIN)/heard-daemon --demo --data-dir $(DATA) & daemon=$$!; \
	trap 'kill $$daemon 2>/dev/null; wait $$daemon' EXIT; trap 'exit 130' INT TERM; \
	for i in $$(seq 100); do [ -e $(DATA)/daemon.json ] && break; kill -0 $$daemon 2>/dev/null || exit 1; sleep 0.2; done; \
	$(BIN)/heard-ui --data-dir $(DATA) || wait $$daemon

lint: $(STAMP)
	$(BIN)/ruff check daemon ui drivers sync tests bench packaging setup.py
	$(BIN)/ruff format --check daemon ui drivers sync tests bench packaging setup.py
	$(BIN)/mypy daemon/domain
	$(BIN)/mypy --follow-imports=silent daemon/front  # strict on its own files, trusting what it imports

# Two workers: most of a test's time is waiting (daemons starting, deadlines, backoffs), so two workers on
# two cores take half the time of one. loadgroup keeps the tests marked HOST_NETWORK (tests/conftest.py) in
# one worker, one after another.
TEST_JOBS ?= 2

test: $(COMPILED) lint postgres chromium
	$(BIN)/pytest -n $(TEST_JOBS) --dist loadgroup

# heard-hq's tests run on a real PostgreSQL server made from the machine's binaries (initdb, pg_ctl);
# they skip, saying why, where it cannot be installed.
postgres:
	@command -v initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ apt-get update && apt-get install -y postgresql; } || \
		echo "PostgreSQL could not be installed: the headquarters tests on PostgreSQL will skip"

# The report page's test drives Debian's headless Chromium; it skips, saying why, where it cannot be installed.
chromium:
	@command -v chromium >/dev/null 2>&1 || \
		{ apt-get update && apt-get install -y chromium; } || \
		echo "Chromium could not be installed: the report page's browser test will skip"

bench: $(COMPILED)
	$(BIN)/python -m bench.ingest
	$(BIN)/python -m bench.live
	$(BIN)/python -m bench.phases
	$(BIN)/python -m bench.webhooks
	$(BIN)/python -m bench.printing
	$(BIN)/python -m bench.upstream
	$(BIN)/python -m bench.clock_pass
	$(BIN)/python -m bench.fresh_lan
	$(BIN)/python -m bench.replication
	$(BIN)/python -m bench.ui_repaint

# The Debian package for a kitchen device (docs/deploy.md): dist/heard_<version>_<arch>.deb, a venv at
# /opt/heard, the systemd units, udev rules, /etc/heard/heard.toml. Build it on the device's Debian release.
package: $(STAMP)
	$(BIN)/python packaging/build.py

# tests/packaging on the full package (make test builds one without PySide6, to stay within its budget).
package-test: $(STAMP)
	HEARD_PACKAGE_FULL=1 $(BIN)/pytest tests/packaging

# lintian on it (4 to 5 minutes: too slow for make test); packaging/lintian/heard says why each override is.
package-lint: package
	@command -v lintian >/dev/null 2>&1 || { apt-get update && apt-get install -y lintian; }
	lintian --fail-on error,warning --tag-display-limit 0 dist/heard_$$($(BIN)/python -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')_$$(dpkg --print-architecture).deb

screenshots: $(COMPILED)
	$(BIN)/python -m ui.screenshots

bench-year: $(COMPILED)
	$(BIN)/python -m bench.memory

clean:
	rm -rf $(VENV) $(DATA) .pytest_cache .mypy_cache .ruff_cache build dist
	rm -f daemon/domain/*.so heard_domain__mypyc*.so
