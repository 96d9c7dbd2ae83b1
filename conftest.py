"""Loaded for every pytest run in this repository, lessons included.

Holds the `device` fixture and the workaround for nbclient's intermittent stall after widget cells.
"""

from __future__ import annotations

import os
import time
from queue import Empty

import pytest
import torch

os.environ.setdefault("MPLBACKEND", "Agg")  # interactive backends can hang a headless kernel
if os.environ.get("PYTEST_XDIST_WORKER"):  # `make test` runs two workers on two cores: one thread each
    torch.set_num_threads(1)

DEVICES = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])


@pytest.fixture(params=DEVICES)
def device(request):
    """Run a device-sensitive test on every available device: the CPU always, CUDA when present."""
    return torch.device(request.param)


# --- nbclient stall (jupyter/nbclient#312) ---------------------------------------------------
# nbclient waits for a cell's execute_reply (and for the kernel's idle status) with ONE poll of
# the zmq socket lasting the whole cell timeout. zmq's asyncio poll is edge-triggered; when the
# burst of widget comm messages makes that wake-up go missing, the reply sits unread in the socket
# until the poll times out (300 s with nbmake's default). Polling in short slices re-checks the
# socket: a missed wake-up now costs at most one slice. The channel's contract (return a message,
# or raise Empty after `timeout`) is unchanged, so nbmake and nbclient need no other change.
POLL_SLICE_S = 0.25


def slice_polls(get_msg, slice_s: float = POLL_SLICE_S):
    """Wrap an async ``get_msg(self, timeout=None)`` so that it polls in slices of ``slice_s``."""

    async def sliced(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = slice_s if deadline is None else min(slice_s, deadline - time.monotonic())
            try:
                return await get_msg(self, timeout=max(left, 0.0))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    sliced.sliced = True
    return sliced


if os.environ.get("THEORY_LIB_NO_POLL_SLICE") != "1":  # set to 1 to run nbclient unpatched
    from jupyter_client.channels import AsyncZMQSocketChannel

    if not getattr(AsyncZMQSocketChannel.get_msg, "sliced", False):
        AsyncZMQSocketChannel.get_msg = slice_polls(AsyncZMQSocketChannel.get_msg)
