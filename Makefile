# Two commands: `make demo` (the example site on http://127.0.0.1:8000/) and `make test` (the whole suite).
# Everything is set up from nothing: a virtualenv in .venv, pip packages, npm packages for the test OP.

SHELL := /bin/bash
# Python 3.12+ (Django 6.x needs it); falls back to whatever python3 there is (Django 4.2/5.2 then).
PYTHON ?= $(shell for p in python3.12 python3.13 $$HOME/.pyenv/versions/3.12*/bin/python3 $$HOME/.pyenv/versions/3.13*/bin/python3 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 10))' >/dev/null 2>&1 && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
OP_DIR := tests/oidc_provider

.PHONY: demo test lint imports pytest venv npm clean load load-cluster load-deps bench versions lts system-deps browser-deps docs

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

# The package's import graph as text (tests/import_graph.py): folder -> folder edges with counts, by layer,
# and any import that runs back up or closes a circle (the exit status is 1 then; tests/test_layering.py fails too).
imports: venv
	$(BIN)/python -m tests.import_graph $(IMPORTS_ARGS)

pytest: venv npm system-deps load-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint pytest lts docs

# The documentation site (docs/, mkdocs.yml): MkDocs Material, warnings are errors, built into build/docs/.
# Its reference pages are generated from the code and the README (docs/hooks.py), so a drift fails the build.
$(VENV)/.docs-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	touch $@

docs: $(VENV)/.docs-installed
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --clean

# The suite once more under an older LTS (Django 4.2, Python 3.11; browser tests left to the main run).
lts: $(VENV)/.nox-installed npm
	$(BIN)/nox -s django42

# Debian packages the suite runs: Chromium for the browser tests (Playwright's own browser download is not
# used), redis-server for the cache-outage and shared-JWKS tests. Only what is missing is installed.
CHROMIUM_PATH ?= /usr/bin/chromium
REDIS_SERVER ?= redis-server
system-deps:
	@missing=; \
	test -x $(CHROMIUM_PATH) || missing="$$missing chromium"; \
	command -v $(REDIS_SERVER) >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

# Debian packages of the two-host runs (`make load-cluster`, and its short version in `make test`,
# tests/end_to_end/cluster/): nginx as the load balancer, PostgreSQL (initdb/pg_ctl, a throwaway cluster), redis-server.
load-deps:
	@missing=; \
	command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || missing="$$missing nginx"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v $(REDIS_SERVER) >/dev/null 2>&1 || missing="$$missing redis-server"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO="sudo -n"; fi; \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; \
	fi

# The former name, still named in a few messages.
browser-deps: system-deps

# `make load` and `make bench` (tests/perf/): gunicorn and the peers measured against (the `bench` extra).
$(VENV)/.bench-installed: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

# Many concurrent whole sign-ons against the example site under gunicorn (LOAD_ARGS="--signons 2000").
load: $(VENV)/.bench-installed npm
	$(BIN)/python tests/perf/load.py $(LOAD_ARGS)

# Several hosts on real shared parts (tests/perf/load_cluster.py): two gunicorn/uvicorn masters behind nginx
# (round robin), PostgreSQL sessions, Redis cache, PingOne 80 ms away; ours vs mozilla-django-oidc and Authlib
# with sync, gthread and ASGI workers; then PingOne down for 60 s, then Redis down (LOAD_CLUSTER_ARGS="...").
# `make load LOAD_ARGS="--hosts 2 --postgres --redis"` runs the same script.
load-cluster: $(VENV)/.bench-installed npm load-deps
	$(BIN)/python tests/perf/load_cluster.py $(LOAD_CLUSTER_ARGS)

# Login initiation vs a bare view; the callback vs a bare "floor" callback, mozilla-django-oidc and Authlib, with
# the statements per callback (BENCH_ARGS="--strict" or BENCH_STRICT=1: exit 1 on a target missed; the profile
# step by step: python tests/perf/bench_profile.py);
# then an API request with a PingOne access token vs no authentication, introspection and mozilla-django-oidc.
bench: $(VENV)/.bench-installed npm
	$(BIN)/python tests/perf/bench.py $(BENCH_ARGS)
	$(BIN)/python tests/perf/bench_api.py $(BENCH_API_ARGS)
	$(BIN)/python tests/perf/bench_access_token.py $(BENCH_TOKEN_ARGS)

$(VENV)/.nox-installed: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet 'nox>=2025.5.1'
	touch $@

# The suite under Django 4.2, 5.2 and 6.x (noxfile.py; NOX_ARGS="-s django52" for one).
versions: $(VENV)/.nox-installed npm system-deps
	$(BIN)/nox $(NOX_ARGS)

demo: venv
	$(BIN)/python example_project/manage.py migrate --noinput
	$(BIN)/python example_project/run_demo.py

clean:
	rm -rf $(VENV) $(OP_DIR)/node_modules .pytest_cache .mypy_cache .ruff_cache
