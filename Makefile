# studio — two commands: `make demo` and `make test`. Both install into .venv first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export STUDIO_HOME ?= $(CURDIR)/.studio
PORT ?= 8866

.PHONY: install demo test test-unit test-notebooks test-ui bench clean

install: $(STAMP)

# torch first, pinned: this CPU build is what the project is tested with. If .venv already
# has a torch (say, a CUDA build you installed yourself), it is left alone.
$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -c "import torch" 2>/dev/null || $(PY) -m pip install torch==2.13.0
	$(PY) -m pip install -e ".[test]"
	touch $(STAMP)

# Seeds the sample creators, trains and publishes one sample model if none is offered yet (about a
# minute on a 2-core CPU), then serves the dashboards and the storefront until Ctrl-C or SIGTERM.
demo: install
	$(VENV)/bin/studio samples seed --with-model
	$(VENV)/bin/studio up --port=$(PORT)

# Unit tests, the notebooks under nbval, and the browser tests, each on a fresh home.
test: install
	rm -rf .test-home
	STUDIO_HOME=$(CURDIR)/.test-home $(PY) -m pytest tests notebooks --nbval-lax -p no:cacheprovider $(PYTEST_ARGS)

test-unit: install
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

test-ui: install
	$(PY) -m pytest tests/ui $(PYTEST_ARGS)

bench: install
	@for b in bench/bench_*.py; do echo "== $$b"; $(PY) $$b || exit 1; done

clean:
	rm -rf .test-home .pytest_cache build *.egg-info
