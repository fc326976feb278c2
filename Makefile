# Two commands for a fresh machine with Python 3.11 or 3.12 and make:
#   make run    install, prepare the database, load the demo directory, serve the line
#   make test   install and run the whole suite
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info[:2] not in ((3, 11), (3, 12)))' 2>/dev/null \
	&& { echo $$p; break; }; done)
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test lint audit check-python clean

check-python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or 3.12 is needed (python3.12, python3.11 or python3)"; exit 1; }

$(STAMP): pyproject.toml | check-python
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

run: install
	$(BIN)/phoneline init
	$(BIN)/phoneline demo
	$(BIN)/phoneline serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(MAKE) audit

# pip-audit over everything installed in .venv; offline, against the advisory snapshot in
# .ci/advisories.json, where PyPI's per-release API does not answer (see the README).
audit: install
	$(BIN)/python .ci/audit_dependencies.py

clean:
	rm -rf $(VENV) instance .pytest_cache .mypy_cache .ruff_cache
