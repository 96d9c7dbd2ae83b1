"""Loaded for every pytest run in this repository, lessons included.

Holds the workaround for nbclient's intermittent stall after widget cells.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("MPLBACKEND", "Agg")  # interactive backends can hang a headless kernel

# --- nbclient stall (jupyter/nbclient#312) ---------------------------------------------------
# nbclient waits for a cell's execute_reply with ONE poll on the shell socket lasting the whole
# cell timeout. zmq's asyncio poll is edge-triggered; when the kernel's burst of widget comm
# messages makes that wake-up go missing, the reply sits unread in the socket until the poll
# times out (300 s with nbmake's default). Polling in short slices re-checks the socket: a
# missed wake-up now costs at most one slice. The channel's contract (return a message or raise
# Empty after `timeout`) is unchanged, so nbmake and nbclient need no other change.
POLL_SLICE_S = 0.25


def _slice_shell_polls():
    from queue import Empty

    from jupyter_client.channels import AsyncZMQSocketChannel

    if getattr(AsyncZMQSocketChannel.get_msg, "_sliced", False):
        return
    original = AsyncZMQSocketChannel.get_msg

    async def get_msg(self, timeout=None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            left = POLL_SLICE_S if deadline is None else min(POLL_SLICE_S, deadline - time.monotonic())
            try:
                return await original(self, timeout=max(left, 0.0))
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise

    get_msg._sliced = True
    AsyncZMQSocketChannel.get_msg = get_msg


if os.environ.get("THEORY_LIB_NO_POLL_SLICE") != "1":  # set to 1 to reproduce the stall
    _slice_shell_polls()
