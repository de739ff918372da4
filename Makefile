# Every target sets itself up: a virtual environment in .venv with torch installed first.
# A GPU user picks another torch build, e.g.:
#   make lab TORCH_SPEC="torch" TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cu124"
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
TORCH_PIP_ARGS ?=
PYTEST_ARGS ?= -n 2
BIN := $(VENV)/bin

.PHONY: setup lab test course release bench lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "$(TORCH_SPEC)" $(TORCH_PIP_ARGS)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

lab: setup
	$(BIN)/dlcourse doctor || true
	$(BIN)/jupyter lab --notebook-dir=.

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

course: setup
	$(BIN)/dlcourse build

release: course

bench: setup
	$(BIN)/dlcourse bench

lint: setup
	$(BIN)/ruff check dlcourse tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache
