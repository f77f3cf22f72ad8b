# shequ-flow: `make run` (demo on a fresh SQLite file) and `make test`. Both set up .venv on first use.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
DEMO_DB ?= shequ-demo.db

.PHONY: run test lint typecheck bench bench-postgres clean setup

setup: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ required"'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --upgrade pip > $(VENV)/pip.log 2>&1 || (cat $(VENV)/pip.log; exit 1)
	@$(PY) -m pip install -q -e '.[dev]' > $(VENV)/pip.log 2>&1 || (cat $(VENV)/pip.log; exit 1)
	@$(PY) -c 'import transitions, sqlalchemy, apscheduler, jinja2, structlog, alembic, click, chinese_calendar, psycopg'
	@rm -f $(VENV)/.installed-*
	@touch $@

run: $(STAMP)
	$(VENV)/bin/shequ --db $(DEMO_DB) demo --fresh

# The PostgreSQL half of the suite starts (and removes) its own throwaway server from a pytest session fixture,
# or uses SHEQU_TEST_PG_URL (docs/POSTGRESQL.md, "Tests").
test: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy engine storage workflows notifications
	$(PY) -m pytest -q -p no:cacheprovider

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy engine storage workflows notifications

bench: $(STAMP)
	$(PY) -m bench.transitions_sqlite

bench-postgres: $(STAMP)
	$(PY) -m bench.postgres

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis $(DEMO_DB) $(DEMO_DB)-*
