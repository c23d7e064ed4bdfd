# Two commands: `make demo` (the example site on http://127.0.0.1:8000/) and `make test` (the whole suite).
# Everything is set up from nothing: a virtualenv in .venv, pip packages, npm packages for the test OP.

SHELL := /bin/bash
# Python 3.12+ (Django 6.x needs it); falls back to whatever python3 there is (Django 4.2/5.2 then).
PYTHON ?= $(shell for p in python3.12 python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3 $$HOME/.pyenv/versions/3.13*/bin/python3 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
OP_DIR := tests/oidc_provider

.PHONY: demo test lint pytest venv npm clean load bench versions lts browser-deps

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

venv: $(VENV)/.installed

$(OP_DIR)/node_modules/.installed: $(OP_DIR)/package.json $(OP_DIR)/package-lock.json
	npm ci --prefix $(OP_DIR) --no-audit --no-fund --loglevel=error
	touch $@

npm: $(OP_DIR)/node_modules/.installed

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check django_pingone_authorize
	$(BIN)/mypy django_pingone_authorize

pytest: venv npm browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint pytest lts

# The suite once more under an older LTS (Django 4.2, Python 3.11; browser tests left to the main run).
lts: $(VENV)/.nox-installed npm
	$(BIN)/nox -s django42

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used).
CHROMIUM_PATH ?= /usr/bin/chromium
browser-deps:
	@test -x $(CHROMIUM_PATH) || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }

# `make load` and `make bench` (tests/perf/): gunicorn and the peers measured against (the `bench` extra).
$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

# Many concurrent whole sign-ons against the example site under gunicorn (LOAD_ARGS="--signons 2000").
load: $(VENV)/.bench-installed npm
	$(BIN)/python tests/perf/load.py $(LOAD_ARGS)

# Login initiation vs a bare view, and the callback vs mozilla-django-oidc and Authlib (BENCH_ARGS="--strict").
bench: $(VENV)/.bench-installed npm
	$(BIN)/python tests/perf/bench.py $(BENCH_ARGS)

$(VENV)/.nox-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet 'nox>=2025.5.1'
	touch $@

# The suite under Django 4.2, 5.2 and 6.x (noxfile.py; NOX_ARGS="-s django52" for one).
versions: $(VENV)/.nox-installed npm browser-deps
	$(BIN)/nox $(NOX_ARGS)

demo: venv
	$(BIN)/python example_project/manage.py migrate --noinput
	$(BIN)/python example_project/run_demo.py

clean:
	rm -rf $(VENV) $(OP_DIR)/node_modules .pytest_cache .mypy_cache .ruff_cache
