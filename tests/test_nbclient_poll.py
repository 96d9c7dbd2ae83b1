"""The workaround for jupyter/nbclient#312: a missed wake-up costs one poll slice, not the timeout."""

from __future__ import annotations

import asyncio
import time
from queue import Empty

from jupyter_client.channels import AsyncZMQSocketChannel

from theory_lib._poll_slices import POLL_SLICE_S, slice_polls


class MissedWakeUp:
    """A channel whose first poll misses the message already waiting (the stall), later polls see it."""

    def __init__(self):
        self.polls = 0

    async def get_msg(self, timeout=None):
        self.polls += 1
        if self.polls == 1:
            await asyncio.sleep(timeout)  # the wake-up never comes: wait out the whole timeout
            raise Empty
        return {"msg_type": "execute_reply"}


def run(get_msg, channel, timeout):
    t0 = time.perf_counter()
    try:
        return asyncio.run(get_msg(channel, timeout=timeout)), time.perf_counter() - t0
    except Empty:
        return None, time.perf_counter() - t0


def test_unsliced_poll_waits_out_the_timeout():
    msg, waited = run(MissedWakeUp.get_msg, MissedWakeUp(), timeout=2.0)
    assert msg is None and waited >= 2.0


def test_sliced_poll_recovers_within_one_slice():
    channel = MissedWakeUp()
    msg, waited = run(slice_polls(MissedWakeUp.get_msg), channel, timeout=2.0)
    assert msg == {"msg_type": "execute_reply"}
    assert waited < 1.0 and channel.polls == 2


def test_sliced_poll_still_times_out_when_nothing_comes():
    class Silent:
        async def get_msg(self, timeout=None):
            await asyncio.sleep(timeout)
            raise Empty

    msg, waited = run(slice_polls(Silent.get_msg), Silent(), timeout=0.6)
    assert msg is None and 0.6 <= waited < 0.6 + 2 * POLL_SLICE_S


def test_the_patch_is_installed_for_nbmake():
    assert getattr(AsyncZMQSocketChannel.get_msg, "sliced", False)
