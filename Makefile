# Two commands for a learner: `make lab` and `make test`. `make app` serves the lessons as code-free
# apps (Voila), `make bench` times every figure (`make bench-browser` in the browser); `make lint`,
# `make format` and `make lessons` are for authors.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8888
CHROMIUM := /usr/bin/chromium

.PHONY: lab app test lint format lessons bench bench-browser install browser clean

install: $(STAMP)

# Create the virtual environment if missing and install the package with the pinned versions.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
	    --ServerApp.root_dir=lessons --ServerApp.open_browser=False --ServerApp.allow_root=True

# The lessons as apps for a class: figures and prose, no code. Loopback only, with a fresh token.
# Voila reads voila.json from here: JupyterLab's jupytext extension (for editing) is not loaded in apps.
app: $(STAMP)
	@TOKEN=$$($(PY) -c "import secrets; print(secrets.token_hex(16))"); \
	echo "Lessons as apps: http://127.0.0.1:$(PORT)/?token=$$TOKEN"; \
	$(VENV)/bin/voila --no-browser --Voila.ip=127.0.0.1 --port=$(PORT) --Voila.token=$$TOKEN lessons

# The browser test (tests/browser/) drives Debian's Chromium, never a downloaded one.
# Installed when missing where we can (root with apt-get: CI on a fresh machine); elsewhere
# the test skips and says why.
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium) \
	    || echo "make: installing chromium failed: the browser test will be skipped"; \
	else echo "make: $(CHROMIUM) is missing (installing it needs root and apt-get): the browser test will be skipped"; fi

# Two workers (the machine has two cores), by module or class: JupyterLab's and Voila's browser tests
# (the longest) run side by side while the unit tests fill in around them.
test: $(STAMP) browser lint
	MPLBACKEND=Agg $(PY) -m pytest -n 2 --dist loadscope

# ruff over the whole tree, the lessons' text forms (lessons/*.py) included; no finding passes.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# A lesson is edited as lessons/NN-<topic>.py (jupytext percent); this writes its .ipynb twin
# (or the .py, when the notebook is the newer one, as after editing in JupyterLab).
lessons: $(STAMP)
	$(VENV)/bin/jupytext --sync lessons/[0-9][0-9]-*.ipynb

# Fix what ruff can fix, format the tree, then bring the notebooks in line with their text forms.
format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/jupytext --sync lessons/[0-9][0-9]-*.py

bench: $(STAMP)
	MPLBACKEND=Agg $(PY) benchmarks/bench_figures.py --by-control

# The same slider moves timed in the browser (JupyterLab in Chromium): input to paint, drags, bytes per
# move, against a naive interact() baseline. ARGS passes options: make bench-browser ARGS="--only softmax".
bench-browser: $(STAMP) browser
	$(PY) benchmarks/bench_browser.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis artifacts
