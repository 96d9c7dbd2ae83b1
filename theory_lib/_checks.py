"""Input checks shared by every module: each failure is a ValueError naming the parameter."""

from __future__ import annotations

import contextlib
import math
import numbers

import torch


def default_device() -> torch.device:
    """CUDA when present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class one_cpu_thread(contextlib.ContextDecorator):
    """Run small CPU work on one intra-op thread, restoring the caller's count on exit.

    For the H x H matrices and few-hundred-step loops of the lessons a second thread only adds
    synchronisation; on a busy 2-core machine each op's OpenMP wake-up made runs 10-40x slower
    (measured in lessons 04, 06 and 07). ``device`` other than the CPU leaves threads alone.
    Usable as ``with one_cpu_thread(device):`` or as a decorator ``@one_cpu_thread()``.
    """

    def __init__(self, device=None):
        self.cpu = torch.device(device or "cpu").type == "cpu"
        self.saved = []

    def __enter__(self):
        self.saved.append(torch.get_num_threads())
        if self.cpu:
            torch.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        torch.set_num_threads(self.saved.pop())
        return False


def as_float_tensor(name: str, x, *, min_dim: int = 1) -> torch.Tensor:
    """``x`` as a floating tensor on its own device; rejects empty, too few dims, NaN and inf.

    Python numbers and lists become float64 (they carry no dtype of their own); integer
    tensors become the default float dtype; float tensors keep theirs.
    """
    t = x if isinstance(x, torch.Tensor) else torch.as_tensor(x, dtype=torch.float64)
    if not t.is_floating_point():
        t = t.to(torch.get_default_dtype())
    if t.dim() < min_dim:
        raise ValueError(f"{name} must have at least {min_dim} dimension(s), got a {t.dim()}-d tensor")
    if t.numel() == 0:
        raise ValueError(f"{name} must not be empty, got shape {tuple(t.shape)}")
    if not torch.isfinite(t).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return t


def positive(name: str, value, *, allow_zero: bool = False) -> float:
    """A finite real > 0 (or >= 0 with ``allow_zero``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    ok = math.isfinite(v) and (v >= 0 if allow_zero else v > 0)
    if not ok:
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be finite and {bound}, got {value!r}")
    return v


def integer(name: str, value, *, minimum: int = 0, maximum: int | None = None) -> int:
    """An int in [minimum, maximum]."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if v < minimum or (maximum is not None and v > maximum):
        upper = "inf" if maximum is None else str(maximum)
        raise ValueError(f"{name} must be in [{minimum}, {upper}], got {v}")
    return v


def choice(name: str, value, options) -> str:
    """One of ``options``."""
    if value not in options:
        raise ValueError(f"{name} must be one of {sorted(options, key=repr)}, got {value!r}")
    return value
