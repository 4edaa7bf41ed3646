# One dev loop for humans and CI. Every target creates/uses .venv and installs what it needs.
PY ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
HASH := $(shell cat pyproject.toml | sha1sum | cut -c1-12)
# dev: everything the suite needs; runtime: what the demo needs (a quicker first install)
STAMP := $(VENV)/.installed-$(HASH)
RUNTIME := $(VENV)/.runtime-$(HASH)
CASE ?= demo-case
# the app's browser tests drive Debian chromium; Playwright never downloads a browser
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1

.PHONY: demo test lint typecheck docs clean-demo sample-data warmup chromium
CYPHERLINT := tools/cypherlint/node_modules/.installed

$(RUNTIME): pyproject.toml
	@echo "· setting up $(VENV): fininvest and its dependencies (first time only, a minute or two)"
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	test -f $(STAMP) || $(BIN)/python -m pip install -q -e .
	rm -f $(VENV)/.runtime-* && touch $(RUNTIME)

$(STAMP): pyproject.toml
	@echo "· setting up $(VENV): fininvest with the test and benchmark tools (first time only)"
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/fininvest warmup
	rm -f $(VENV)/.installed-* && touch $(STAMP)

## warmup: compile the numba kernels once (the install runs it; about a minute when cold)
warmup: $(STAMP)
	$(BIN)/fininvest warmup

## demo: every user's job end to end on the committed sample case (embedded default)
demo: $(RUNTIME)
	$(BIN)/fininvest demo $(CASE)

## test: the whole suite (lint, types, docs drift, unit, integration, install)
test: $(STAMP) $(CYPHERLINT) chromium lint typecheck
	$(BIN)/python -m pytest

## chromium: Debian's Chromium for the app's browser tests (Playwright drives it; no download)
chromium:
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium)

## Neo4j's Cypher parser (npm), used by tests/test_cypher_lint.py on every file in cypher/
$(CYPHERLINT): tools/cypherlint/package.json
	npm install --prefix tools/cypherlint --no-audit --no-fund --loglevel=error
	touch $(CYPHERLINT)

lint: $(STAMP)
	$(BIN)/ruff check fininvest tests
	$(BIN)/ruff format --check fininvest tests

typecheck: $(STAMP)
	$(BIN)/mypy

## docs: regenerate generated docs (formats, CLI reference); tests fail if they drift
docs: $(STAMP)
	$(BIN)/python -m fininvest.docgen

clean-demo:
	rm -rf $(CASE)

## sample-data: regenerate the committed small case (a test checks it matches the generator)
sample-data: $(STAMP)
	rm -rf sample_data/raw sample_data/truth
	$(BIN)/python -c "from pathlib import Path; from fininvest.sample import generate_case; generate_case(Path('sample_data/raw'), Path('sample_data/truth'), scale='small', seed=7, compress=True)"
