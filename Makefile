# Two commands for a learner: `make lab` and `make test`. `make bench` times every figure.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8888

.PHONY: lab test bench install clean

install: $(STAMP)

# Create the virtual environment if missing and install the package with the pinned versions.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
	    --ServerApp.root_dir=lessons --ServerApp.open_browser=False --ServerApp.allow_root=True

test: $(STAMP)
	MPLBACKEND=Agg $(PY) -m pytest

bench: $(STAMP)
	MPLBACKEND=Agg $(PY) benchmarks/bench_figures.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
