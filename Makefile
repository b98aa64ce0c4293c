# Two commands do everything: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium
PORT ?= 5000
export PORT
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_INSTALL := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends

.PHONY: run test test-unit serve migrate bench nginx lint install install-test chromium postgresql redis clean screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

## Bring the ledger's database to the schema this code needs (the deploy step).
migrate: install
	$(BIN)/flask --app webapp db upgrade

## Serve the app and its job consumer at http://127.0.0.1:$(PORT) (sandbox mode unless
## BRIA_API_TOKEN is set); `make run PORT=5001` for another port.
run: migrate
	deploy/run

## Serve as in production: nginx in front (deploy/nginx.conf), gunicorn behind (gunicorn.conf.py).
serve: migrate nginx
	deploy/serve

## Debian's nginx: the buffering proxy `make serve` puts in front of gunicorn.
nginx:
	@command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || { $(SUDO) apt-get update -qq && $(APT_INSTALL) nginx-light; }

## Playwright cannot download browsers here: use Debian's Chromium.
chromium:
	@[ -x $(CHROMIUM) ] || { $(SUDO) apt-get update -qq && $(APT_INSTALL) chromium fonts-liberation; }

## The tests start a real PostgreSQL server of their own with Debian's binaries.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update -qq && $(APT_INSTALL) postgresql; }

## The tests of several servers share a real Redis of their own, started by the test run.
redis:
	@command -v redis-server >/dev/null || [ -x /usr/bin/redis-server ] || { $(SUDO) apt-get update -qq && $(APT_INSTALL) redis-server; }

lint: install-test
	$(BIN)/ruff check webapp tests bench
	$(BIN)/ruff format --check webapp tests bench

## Every test, in parallel: the unit, integration and browser tiers (see tests/conftest.py).
## `make test-unit` runs the unit tier alone.
test: install-test chromium postgresql nginx redis
	$(BIN)/ruff check webapp tests bench
	$(BIN)/python -m pytest -n auto --dist loadfile

test-unit: install-test
	$(BIN)/python -m pytest -n auto -m unit

## Remake the README's screenshots in docs/.
screenshots: install-test chromium
	$(BIN)/python -m tests.browser.screenshots

## The benchmark (see README, Performance): prints the table; `make bench ARGS=--readme` records it.
bench: install-test nginx
	$(BIN)/python -m bench $(ARGS)

clean:
	rm -rf $(VENV) test-results .pytest_cache build dist
