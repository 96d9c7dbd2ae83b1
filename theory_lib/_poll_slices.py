"""A workaround for jupyter/nbclient#312, the intermittent stall after widget cells.

nbclient waits for a cell's execute_reply (and for the kernel's idle status) with ONE poll of the
zmq socket lasting the whole cell timeout, or forever. zmq's asyncio poll is edge-triggered; when
the burst of widget comm messages makes that wake-up go missing, the reply sits unread in the
socket until the poll times out (300 s under nbmake; never, for Voila's iopub wait). Polling in
short slices re-checks the socket: a missed wake-up now costs at most one slice. The channel's
contract (return a message, or raise Empty after ``timeout``) is unchanged.

Installed by the repository's ``conftest.py`` (pytest, nbmake) and by ``binder/voila/voila.py``
(Voila's own executor: ``make app`` and the browser test), where the stall left a lesson's page
loading forever. Set THEORY_LIB_NO_POLL_SLICE=1 to run unpatched.
"""

from __future__ import annotations

import os
import time
from queue import Empty

__all__ = ["POLL_SLICE_S", "install", "slice_polls"]

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


def install() -> bool:
    """Patch jupyter_client's async channel once (idempotent); False when switched off by the environment."""
    if os.environ.get("THEORY_LIB_NO_POLL_SLICE") == "1":
        return False
    from jupyter_client.channels import AsyncZMQSocketChannel

    if not getattr(AsyncZMQSocketChannel.get_msg, "sliced", False):
        AsyncZMQSocketChannel.get_msg = slice_polls(AsyncZMQSocketChannel.get_msg)
    return True
