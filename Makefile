# Two commands matter: `make up` and `make test`. Both create .venv and install on demand.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install up test lint proto bench certs clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test,dev]'
	@touch $(STAMP)

install: $(STAMP)

test: install
	$(BIN)/python -m pytest tests

lint: install
	$(BIN)/ruff check libs services tests bench
	$(BIN)/ruff format --check libs services tests bench

proto: install
	$(BIN)/python -m ghostkit.protogen

bench: install
	$(BIN)/python -m bench

certs: install
	$(BIN)/ghostnet certs

up: install
	$(BIN)/ghostnet up

clean:
	rm -rf $(VENV) .pytest_cache
