"""The servers the browser test drives: JupyterLab or Voila on 127.0.0.1, a free port, a random token.

Each runs in a session of its own, with its own Jupyter config, runtime and IPython directories and
without MPLBACKEND (live ipympl figures); it is stopped by its PID, with whatever it started.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from tests.browser import ROOT, SERVER_START_S, VENV_BIN


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A Jupyter server (JupyterLab or Voila) that the test starts, probes and stops by its PID."""

    def __init__(self, name: str, argv: list[str], workdir: Path, probe: str):
        self.name, self.port, self.token = name, _free_port(), secrets.token_hex(16)
        self.log_path = workdir / f"{name}-server-{self.port}.log"  # a log per server, not per class
        self._log = open(self.log_path, "w")
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # live ipympl figures
        for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
            env[var] = str(workdir / f"{name}-{var.lower()}")  # no user config, nothing in $HOME
        env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
        argv = [a.format(port=self.port, token=self.token) for a in argv]
        # A session of its own: the kernels it starts share its process group, so stop() can end
        # them with it even if the server dies without shutting them down.
        self.proc = subprocess.Popen(
            argv, cwd=workdir, env=env, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            deadline = time.monotonic() + SERVER_START_S
            while True:
                try:
                    with urllib.request.urlopen(self.url(probe), timeout=5):
                        break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"{name} did not start; its log ends:\n{self.log()[-3000:]}") from None
                    time.sleep(0.3)
        except BaseException:  # failed, timed out or interrupted (Ctrl-C): leave nothing running
            self.stop()
            raise

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}?token={self.token}"

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        pid = self.proc.pid
        if self.proc.poll() is None:
            self.proc.terminate()  # the server shuts its kernels down on SIGTERM
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        try:  # whatever it started and left behind (kernels) ends with it
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self._log.close()


LAB_SETTINGS = {  # JupyterLab user settings: no autosave, every cell in the DOM, no news pop-up
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/extensionmanager-extension/plugin": {"enabled": False},
}


def prepare_workdir(root: Path) -> Path:
    """Copy lessons/ into ``root`` and write JupyterLab's user settings there.

    The servers run on the copy: JupyterLab may save what it runs, and the repository stays clean."""
    shutil.copytree(ROOT / "lessons", root / "lessons", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for plugin, values in LAB_SETTINGS.items():
        path = root / "settings" / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    return root


def lab_server(workdir: Path) -> Server:
    """JupyterLab on ``workdir``/lessons (see ``prepare_workdir``); use it as a context manager."""
    return Server(
        "jupyterlab",
        [
            str(VENV_BIN / "python"),
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ServerApp.ip=127.0.0.1",
            "--ServerApp.port={port}",
            "--ServerApp.port_retries=0",
            "--IdentityProvider.token={token}",
            f"--ServerApp.root_dir={workdir / 'lessons'}",
            "--ServerApp.allow_root=True",  # CI runs as root
            "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: run all cells, find the kernel
            f"--LabApp.user_settings_dir={workdir / 'settings'}",
            f"--LabApp.workspaces_dir={workdir / 'workspaces'}",
        ],
        workdir,
        probe="/api/status",
    )
