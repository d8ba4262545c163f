# PlantDesk: `make run` serves the demo plant, `make test` runs the whole suite (CONTRACT.md section 1).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
VENDOR := src/plantdesk/ui/static/vendor
LOCALE := src/plantdesk/locale
MESSAGES := $(patsubst %.po,%.mo,$(wildcard $(LOCALE)/*/LC_MESSAGES/django.po))

.PHONY: run test lint install install-dev assets messages bench clean

$(VENV)/.stamp-runtime: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.stamp-dev: pyproject.toml $(VENV)/.stamp-runtime
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.stamp-runtime assets messages
install-dev: $(VENV)/.stamp-dev assets messages

# The translations (German) compiled from their .po files with Babel, pure Python: no GNU gettext needed.
# The .mo files are build output (.gitignore). New strings: `plantdesk catalogue --update`, then translate.
messages: $(MESSAGES)
$(LOCALE)/%/LC_MESSAGES/django.mo: $(LOCALE)/%/LC_MESSAGES/django.po $(VENV)/.stamp-runtime
	$(BIN)/pybabel -q compile --domain django --locale $* --input-file $< --output-file $@

# htmx comes from its npm package at the version pinned in package-lock.json; nothing loads from a CDN.
assets: $(VENDOR)/htmx.min.js
$(VENDOR)/htmx.min.js: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/htmx.min.js

run: install
	$(BIN)/plantdesk migrate --noinput -v0
	$(BIN)/plantdesk demo
	@echo ""
	@echo "PlantDesk is starting on http://127.0.0.1:$(PORT)/  (API docs: http://127.0.0.1:$(PORT)/api/v1/docs)"
	@echo "Plant alarms: run 'PORT=$(PORT) $(BIN)/plantdesk simulate --once --speed 10' in another terminal and watch /events/alerts/."
	@echo ""
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/plantdesk worker & \
	  $(BIN)/plantdesk ingest mqtt & \
	  PORT=$(PORT) $(BIN)/plantdesk serve --bind 127.0.0.1:$(PORT)

test: install-dev
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install-dev
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

bench: install-dev
	$(BIN)/python bench/incidents.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR) $(MESSAGES)
