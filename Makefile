# Lantern: two commands on a fresh machine, `make serve` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install serve test test-long lint typecheck pytest openapi locales locales-extract locales-update bench tagpack-check clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make serve: install, create development keys, migrate SQLite, serve on $(HOST):$(PORT) (docs at /docs)
serve: install
	$(BIN)/lantern keys init --if-missing
	$(BIN)/lantern db upgrade
	$(BIN)/lantern serve --host $(HOST) --port $(PORT)

## make test: lint, type-check and run the whole suite (SQLite; .ci/run adds PostgreSQL)
test: install lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/lantern instruments check --strict

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

## make test-long: the `slow` tests at full size (property runs, the sync state machine, the
## contract fuzzing); add LANTERN_TEST_DATABASE_URL=postgresql+asyncpg://… for PostgreSQL
test-long: $(STAMP)
	LANTERN_TEST_PROFILE=long $(BIN)/pytest -m slow

## make openapi: regenerate openapi/openapi.json from the app (the contract test compares it)
openapi: $(STAMP)
	$(BIN)/lantern openapi --out openapi/openapi.json

## translations: extract English source strings, merge them into every language (the server reads the .po files)
locales-extract: $(STAMP)
	$(BIN)/lantern i18n extract

locales-update: locales-extract
	$(BIN)/lantern i18n update

locales: locales-update

bench: install
	$(BIN)/python -m bench

## make tagpack-check: validate a TagPack export with GraphSense's own validator (graphsense-lib,
## ~400 MB, in its own .venv-tagpack; optional, not part of make test)
TAGPACK_VENV := .venv-tagpack
GRAPHSENSE_LIB := graphsense-lib[tagpacks]==2.18.1
$(TAGPACK_VENV)/.installed:
	test -x $(TAGPACK_VENV)/bin/python || $(PYTHON) -m venv $(TAGPACK_VENV)
	$(TAGPACK_VENV)/bin/pip install --quiet '$(GRAPHSENSE_LIB)'
	touch $@

tagpack-check: install $(TAGPACK_VENV)/.installed
	$(BIN)/python -m tests.backend.investigations.tagpack_sample var/tagpack-check/lantern.yaml
	$(TAGPACK_VENV)/bin/graphsense-cli tagpack-tool tagpack validate --no-strict-actor-references var/tagpack-check/lantern.yaml

clean:
	rm -rf $(VENV) $(TAGPACK_VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis
