# reentry — two commands do everything: `make demo` and `make test`.
VENV    ?= .venv
PYTHON  ?= python3
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
PYTEST_WORKERS ?= auto

.PHONY: install demo test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

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
