# Two commands do everything: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test serve bench wrk lint install install-test chromium clean screenshots

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

## Serve the app at http://127.0.0.1:5000 (sandbox mode unless BRIA_API_TOKEN is set).
run: install
	$(BIN)/flask --app webapp run --host 127.0.0.1 --port 5000

## Serve with gunicorn as in production (settings in gunicorn.conf.py).
serve: install
	$(BIN)/gunicorn --config gunicorn.conf.py 'webapp:create_app()'

## Playwright cannot download browsers here: use Debian's Chromium.
chromium:
	@[ -x $(CHROMIUM) ] || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium; }

lint: install-test
	$(BIN)/ruff check webapp tests bench
	$(BIN)/ruff format --check webapp tests bench

## Every test: unit, client, HTTP integration, property and browser tests.
test: install-test chromium
	$(BIN)/ruff check webapp tests bench
	$(BIN)/python -m pytest

## Remake the README's screenshots in docs/.
screenshots: install-test chromium
	$(BIN)/python -m tests.browser.screenshots

## The benchmark (see README, Performance): prints the table; `make bench ARGS=--readme` records it.
bench: install-test wrk
	$(BIN)/python -m bench $(ARGS)

wrk:
	@command -v wrk >/dev/null || { $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq wrk; }

clean:
	rm -rf $(VENV) test-results .pytest_cache
