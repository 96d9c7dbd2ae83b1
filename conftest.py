"""Loaded for every pytest run in this repository, lessons included.

Holds the `device` fixture and the workaround for nbclient's intermittent stall after widget cells.
"""

from __future__ import annotations

import os

import pytest
import torch

from theory_lib._poll_slices import install as install_poll_slices

os.environ.setdefault("MPLBACKEND", "Agg")  # interactive backends can hang a headless kernel
if os.environ.get("PYTEST_XDIST_WORKER"):  # `make test` runs two workers on two cores: one thread each
    torch.set_num_threads(1)

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request):
    """Run a device-sensitive test on every available device: the CPU always, CUDA when present."""
    return torch.device(request.param)


# --- nbclient stall (jupyter/nbclient#312): nbclient's polls in short slices (theory_lib/_poll_slices.py)
install_poll_slices()
