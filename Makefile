# Every target sets itself up: a virtual environment in .venv with torch installed first, the build that fits the
# machine (tools/install_torch.py prints its choice: CPU wheel index on Linux without an NVIDIA GPU, PyPI's CUDA build
# with one, PyPI's wheel on macOS and Windows; PyPI when PyTorch's index is unreachable). Override it, e.g.:
#   make lab TORCH_INDEX=https://download.pytorch.org/whl/cu126
#   make lab TORCH_SPEC="torch==2.13.0" TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
PYTHON ?= python3
VENV ?= .venv
TORCH_SPEC ?= torch==2.13.0
TORCH_INDEX ?=
TORCH_PIP_ARGS ?=
# loadgroup keeps the browser tests (one JupyterLab, one Chromium) on one worker
PYTEST_ARGS ?= -n 2 --dist loadgroup
BIN := $(VENV)/bin

.PHONY: setup lab instructor workspace handout test course release bench lint clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml tools/install_torch.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	TORCH_SPEC="$(TORCH_SPEC)" TORCH_INDEX="$(TORCH_INDEX)" TORCH_PIP_ARGS="$(TORCH_PIP_ARGS)" \
		$(BIN)/python tools/install_torch.py
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

# The learner's JupyterLab: on workspace/ (your copies of chapters/ and exercises/, never overwritten), without
# nbgrader's instructor tools. Extra options for jupyter lab: make lab LAB_ARGS="--no-browser --port=8890"
lab: setup
	$(BIN)/dlcourse doctor || true
	$(BIN)/dlcourse lab $(LAB_ARGS)

# The instructor's JupyterLab: the course checkout itself, with nbgrader's menu, Formgrader and Create Assignment.
instructor: setup
	$(BIN)/dlcourse lab --instructor $(LAB_ARGS)

workspace: setup
	$(BIN)/dlcourse workspace

# What students get: the chapters, the release (exercises/) and what runs them, as committed; never solutions/ (the
# hidden tests) nor tests/. Students unzip it and run `make lab` in it.
HANDOUT := chapters exercises dlcourse tools pyproject.toml Makefile README.md environment.yml .gitignore
handout:
	mkdir -p dist
	git archive --format=zip --prefix=dlcourse/ -o dist/dlcourse-students.zip HEAD -- $(HANDOUT)
	@echo "wrote dist/dlcourse-students.zip (committed files only: commit after make release)"

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

course: setup
	$(BIN)/dlcourse build

release: course

bench: setup
	$(BIN)/dlcourse bench

lint: setup
	$(BIN)/ruff check dlcourse tests benchmarks tools

clean:
	rm -rf $(VENV) .pytest_cache
