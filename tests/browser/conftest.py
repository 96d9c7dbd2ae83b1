"""Fixtures of the browser test: a copy of the lessons, Chromium, the Agg references, the servers.

``workdir`` and ``references`` are session-scoped (one per pytest worker); ``browser`` is
module-scoped: Playwright's sync API keeps an asyncio loop running in the worker's main thread while
it is started, which would break any later test on that worker that runs its own loop
(tests/test_nbclient_poll.py). ``lab`` and ``voila`` start one server per test class. Their
teardowns stop the browser and the servers (with their kernels), also when a test fails.
"""

from __future__ import annotations

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS, ROOT, VENV_BIN
from tests.browser.fidelity import References
from tests.browser.servers import Server, lab_server, prepare_workdir


@pytest.fixture(scope="session")
def workdir(tmp_path_factory):
    """A copy of lessons/ (JupyterLab may save what it runs: the repository stays clean)."""
    return prepare_workdir(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            f"BROWSER TEST NOT RUN: {CHROMIUM} is missing. Install Debian's chromium "
            "(`apt-get install chromium`; `make test` does it when run as root)."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is missing: run `make install` (pip install -c constraints.txt -e '.[test]')")
    pw = sync_playwright().start()
    try:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=60_000)
        try:
            yield chromium
        finally:
            chromium.close()
    finally:
        pw.stop()


@pytest.fixture(scope="session")
def references():
    refs = References()
    yield refs
    refs.close()


@pytest.fixture(scope="class")
def lab(workdir):
    with lab_server(workdir) as server:
        yield server


@pytest.fixture(scope="class")
def voila(workdir):
    with Server(
        "voila",
        [
            str(VENV_BIN / "voila"),
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            "--port={port}",
            "--Voila.token={token}",
            "--show_tracebacks=True",
            f"--Voila.config_file_paths={ROOT / 'binder' / 'voila'}",  # as make app: binder/voila/voila.py
            str(workdir / "lessons"),
        ],
        workdir,
        probe="/",
    ) as server:
        yield server
