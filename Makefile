# reentry — two commands do everything: `make demo` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PYTEST_WORKERS ?= auto

.PHONY: install demo test lint typecheck unit bench clean translations catalog

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

CATALOGS := $(patsubst %.po,%.mo,$(wildcard web/translations/*/LC_MESSAGES/messages.po))

web/translations/%/LC_MESSAGES/messages.mo: web/translations/%/LC_MESSAGES/messages.po $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d web/translations -l $* >/dev/null

translations: $(CATALOGS)

# Re-extract the Vietnamese source strings and merge them into each language's catalog.
catalog: install
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o web/translations/messages.pot --no-location --sort-output --project reentry .
	$(BIN)/pybabel update -i web/translations/messages.pot -d web/translations --no-fuzzy-matching

install: $(STAMP) translations

demo: install
	$(BIN)/reentry demo

lint: install
	$(BIN)/ruff check .

typecheck: install
	$(BIN)/mypy

unit: install
	$(BIN)/pytest -n $(PYTEST_WORKERS)

test: lint typecheck unit

bench: install
	$(BIN)/python -m bench.step_overhead

clean:
	rm -rf $(VENV) instance test-output
