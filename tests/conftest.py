"""Shared fixtures for the unit tests."""

from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("MPLBACKEND", "Agg")  # interactive backends can hang a headless kernel

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request):
    """Run a device-sensitive test on every available device: the CPU always, CUDA when present."""
    return torch.device(request.param)


