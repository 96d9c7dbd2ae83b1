# Two commands for a learner: `make lab` and `make test`. `make app` serves the lessons as code-free
# apps (Voila), `make bench` times every figure (`make bench-browser` in the browser); `make lint`,
# `make format` and `make lessons` are for authors.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
PORT   ?= 8888
CHROMIUM := /usr/bin/chromium

.PHONY: lab app test lint format lessons bench bench-browser install browser fonts clean

install: $(STAMP) fonts

# Create the virtual environment if missing and install the package with the pinned versions.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $(STAMP)

# The file browser opens on lessons/: the English lessons, and their Chinese versions in lessons/zh/.
lab: $(STAMP) fonts
	$(VENV)/bin/jupyter lab --ServerApp.ip=127.0.0.1 --ServerApp.port=$(PORT) \
	    --ServerApp.root_dir=lessons --ServerApp.open_browser=False --ServerApp.allow_root=True

# The lessons as apps for a class: figures and prose, no code. Loopback only, with a fresh token.
# Voila's config, binder/voila/voila.py: nbclient's polls in slices (a stalled lesson never loads), no jupytext.
app: $(STAMP)
	@TOKEN=$$($(PY) -c "import secrets; print(secrets.token_hex(16))"); \
	echo "Lessons as apps: http://127.0.0.1:$(PORT)/?token=$$TOKEN"; \
	$(VENV)/bin/voila --no-browser --Voila.ip=127.0.0.1 --port=$(PORT) --Voila.token=$$TOKEN \
	    --Voila.config_file_paths=binder/voila lessons

# The browser test (tests/browser/) drives Debian's Chromium, never a downloaded one.
# Installed when missing where we can (root with apt-get: CI on a fresh machine); elsewhere
# the test skips and says why.
browser:
	@if [ -x $(CHROMIUM) ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium) \
	    || echo "make: installing chromium failed: the browser test will be skipped"; \
	else echo "make: $(CHROMIUM) is missing (installing it needs root and apt-get): the browser test will be skipped"; fi

# Chinese figures (lessons/zh/) need a CJK font: Debian's fonts-noto-cjk (Noto Sans CJK SC), installed
# when missing where we can, as chromium is; elsewhere install it (or PingFang / Microsoft YaHei) yourself.
fonts:
	@if fc-list 2>/dev/null | grep -q "Noto Sans CJK SC"; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y fonts-noto-cjk) \
	    || echo "make: installing fonts-noto-cjk failed: Chinese figures will show boxes"; \
	else echo "make: no Noto Sans CJK SC (fonts-noto-cjk needs root and apt-get): Chinese figures may show boxes"; fi

# Two workers (the machine has two cores), by module or class: JupyterLab's and Voila's browser tests
# (the longest) run side by side while the unit tests fill in around them.
test: $(STAMP) browser fonts lint
	MPLBACKEND=Agg $(PY) -m pytest -n 2 --dist loadscope

# ruff over the whole tree, the lessons' text forms (lessons/*.py) included; no finding passes.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# A lesson is edited as lessons/NN-<topic>.py (jupytext percent); this writes its .ipynb twin
# (or the .py, when the notebook is the newer one, as after editing in JupyterLab), then the Chinese
# lessons lessons/zh/NN-<topic>.ipynb from the English ones and their translations (lessons/zh/*.json).
lessons: $(STAMP)
	$(VENV)/bin/jupytext --sync lessons/[0-9][0-9]-*.ipynb
	$(PY) -m theory_lib._translations build

# Fix what ruff can fix, format the tree, then bring the notebooks in line with their text forms.
format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .
	$(VENV)/bin/jupytext --sync lessons/[0-9][0-9]-*.py
	$(PY) -m theory_lib._translations build

bench: $(STAMP)
	MPLBACKEND=Agg $(PY) benchmarks/bench_figures.py --by-control
	$(PY) benchmarks/bench_attention.py

# The same slider moves timed in the browser (JupyterLab in Chromium): input to paint, drags, bytes per
# move, against a naive interact() baseline. ARGS passes options: make bench-browser ARGS="--only softmax".
bench-browser: $(STAMP) browser
	$(PY) benchmarks/bench_browser.py $(ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis artifacts
