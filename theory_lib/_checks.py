"""The one validation layer: every public function checks its arguments here.

Each failure is a ``ValueError`` naming the parameter, its value (shortened) and the valid range.
The rules, one per kind of input:

- tensors (``as_float_tensor``): a torch tensor, a numpy array, a real number or a (nested) list of
  real numbers. Float32 and float64 tensors keep their dtype (float16 and bfloat16 become float32);
  integer tensors become torch's default float dtype; numbers, lists and numpy integer arrays become
  float64 (numpy float arrays keep their dtype). Bool and complex values are refused (a complex
  part would be silently dropped), as are NaN, inf and empty tensors. A 0-d tensor counts as a
  number: accepted where a scalar is, refused where the function needs a vector.
- reals (``real``, ``positive``) and integers (``integer``, ``seed``): Python or numpy scalars, or a
  0-d tensor (read with ``.item()``, so no gradient flows through it); bool is refused. Every
  integer has a maximum (``MAX_INT`` unless the function documents a smaller one).
- choices, booleans, ``device`` (a device that exists here), ``generator`` (a ``torch.Generator``
  on the device the function samples on) and ``dtype`` (torch.float32 or torch.float64).

``public`` declares a function's valid inputs next to it; ``tests/test_properties.py`` reads the
declarations and tries every class of bad and extreme input against every public function.
"""

from __future__ import annotations

import contextlib
import math
import numbers

import numpy as np
import torch

MAX_INT = 2**31 - 1  # the largest integer any count may take unless a function documents less
MAX_SEED = 2**63 - 1  # torch.Generator.manual_seed's range
FLOAT_DTYPES = (torch.float32, torch.float64)


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
        self.cpu = device is None or torch.device(device).type == "cpu"
        self.saved = []

    def __enter__(self):
        self.saved.append(torch.get_num_threads())
        if self.cpu:
            torch.set_num_threads(1)
        return self

    def __exit__(self, *exc):
        torch.set_num_threads(self.saved.pop())
        return False


def public(example=None, **facts):
    """Declare a public function's valid inputs, read by tests/test_properties.py; changes nothing.

    ``example``: keyword arguments of one valid call (or a function returning them);
    ``extremes``: {parameter: [extreme but valid values]}; ``spans``: {tensor parameter: (lo, hi)},
    the range its values may be drawn from; ``kinds``: {parameter: kind} where the signature does
    not tell ("tensor", "real", "int", "seed", "choice", "bool", "other"); ``cannot``: the classes of
    input the function cannot take ("grad": not differentiable, "batch": no leading batch
    dimensions, "float32": needs float64 inputs, "noncontiguous"); ``nonfinite``: why some results are
    NaN or inf by design (documented), so that for it only the absence of errors is tested.
    """

    def mark(function):
        function.__inputs__ = {"example": example or {}, **facts}
        return function

    return mark


def shorten(value, limit: int = 60) -> str:
    """A short description of ``value`` for a message: repr cut to ``limit``, tensors summarised."""
    if isinstance(value, (torch.Tensor, np.ndarray)):
        flat = value.detach().reshape(-1)[:4] if isinstance(value, torch.Tensor) else value.reshape(-1)[:4]
        more = ", ..." if math.prod(value.shape) > 4 else ""
        items = ", ".join(f"{v:.4g}" if not isinstance(v, complex) else repr(v) for v in flat.tolist())
        kind = "tensor" if isinstance(value, torch.Tensor) else "array"
        return f"a {kind} of shape {tuple(value.shape)} and dtype {value.dtype} [{items}{more}]"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10**15:
        return f"an integer of {len(str(abs(value)))} digits ({str(value)[:6]}...)"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fail(name: str, expected: str, value) -> ValueError:
    return ValueError(f"{name} must be {expected}, got {shorten(value)}")


# ---------------------------------------------------------------- tensors
def _to_tensor(name: str, x) -> torch.Tensor:
    """The tensor rules of the module docstring, before the shape and finiteness checks."""
    if isinstance(x, torch.Tensor):
        t = x
    elif isinstance(x, np.ndarray):
        if x.dtype.kind not in "iuf":
            raise _fail(name, "a real tensor (float or integer values)", x)
        t = torch.from_numpy(np.ascontiguousarray(x))
        if not t.is_floating_point():
            t = t.to(torch.float64)
    elif isinstance(x, (bool, np.bool_)) or not isinstance(x, (numbers.Real, list, tuple)):
        raise _fail(name, "a real tensor, array, number or list of numbers", x)
    else:
        try:
            t = torch.as_tensor(x, dtype=torch.float64)
        except (TypeError, ValueError, OverflowError, RuntimeError):
            raise _fail(name, "a real tensor, array, number or list of numbers", x) from None
        if not _all_real(x):
            raise _fail(name, "a list of real numbers (no bool, complex or other values)", x)
    if t.is_complex() or t.dtype == torch.bool:
        raise _fail(name, "a real tensor (complex and bool tensors are refused)", x)
    if t.dtype in (torch.float16, torch.bfloat16):
        t = t.to(torch.float32)
    elif not t.is_floating_point():
        t = t.to(torch.get_default_dtype())
    return t


def _all_real(x) -> bool:
    if isinstance(x, (list, tuple)):
        return all(_all_real(v) for v in x)
    return isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))


def as_float_tensor(name: str, x, *, min_dim: int = 1, finite: bool = True) -> torch.Tensor:
    """``x`` as a float32/float64 tensor on its own device: the tensor rules of the module docstring.

    Refuses other types, bool and complex values, fewer than ``min_dim`` dimensions, empty
    tensors, NaN and inf (unless ``finite=False``: the caller checks the values), each with a
    ValueError naming ``name``, the value and what is valid.
    """
    t = _to_tensor(name, x)
    if t.dim() < min_dim:
        raise _fail(name, f"a tensor with at least {min_dim} dimension(s)", x)
    if t.numel() == 0:
        raise _fail(name, "a non-empty tensor", x)
    if finite and not bool(torch.isfinite(t.detach()).all()):
        raise _fail(name, "finite (no NaN or inf)", x)
    return t


# ---------------------------------------------------------------- numbers
def _scalar(name: str, value, expected: str):
    """A Python number from a Python, numpy or 0-d tensor scalar; bool and the rest refused."""
    if isinstance(value, torch.Tensor) and value.dim() == 0 and not value.is_complex() and value.dtype != torch.bool:
        return value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise _fail(name, expected, value)
    return value


def real(name: str, value, *, lo: float = -math.inf, hi: float = math.inf, lo_open=False, hi_open=False) -> float:
    """A finite real in the interval from ``lo`` to ``hi`` (open at an end where asked)."""
    left, right = "(" if lo_open or lo == -math.inf else "[", ")" if hi_open or hi == math.inf else "]"
    interval = f"{left}{lo:g}, {hi:g}{right}"
    v = _scalar(name, value, f"a real number in {interval}")
    try:
        v = float(v)
    except OverflowError:
        raise _fail(name, f"a finite real number in {interval}", value) from None
    below = v <= lo if lo_open else v < lo
    above = v >= hi if hi_open else v > hi
    if not math.isfinite(v) or below or above:
        raise _fail(name, f"a finite real number in {interval}", value)
    return v


def positive(name: str, value, *, allow_zero: bool = False, maximum: float = math.inf) -> float:
    """A finite real > 0 (or >= 0 with ``allow_zero``), at most ``maximum``."""
    return real(name, value, lo=0.0, hi=maximum, lo_open=not allow_zero)


def integer(name: str, value, *, minimum: int = 0, maximum: int = MAX_INT) -> int:
    """An int in [minimum, maximum] (Python, numpy or 0-d integer tensor)."""
    v = _scalar(name, value, f"an integer in [{minimum}, {maximum}]")
    if not isinstance(v, numbers.Integral):
        raise _fail(name, f"an integer in [{minimum}, {maximum}]", value)
    v = int(v)
    if v < minimum or v > maximum:
        raise _fail(name, f"an integer in [{minimum}, {maximum}]", value)
    return v


def seed(name: str, value) -> int:
    """A random seed: an int in [0, 2^63 - 1]."""
    return integer(name, value, minimum=0, maximum=MAX_SEED)


def choice(name: str, value, options):
    """One of ``options``."""
    try:
        ok = any(value is o or (type(value) is type(o) and value == o) for o in options)
    except (TypeError, RuntimeError):
        ok = False
    if not ok:
        raise _fail(name, f"one of {', '.join(repr(o) for o in options)}", value)
    return value


def boolean(name: str, value) -> bool:
    """True or False (numpy's bool too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise _fail(name, "True or False", value)
    return bool(value)


# ---------------------------------------------------------------- device, generator, dtype
def device(name: str, value, *, generator=None) -> torch.device:
    """A device that exists here: "cpu", or "cuda"/"cuda:k" when CUDA is present (a str or
    torch.device). None means the generator's device when a generator is given, else the CPU."""
    if value is None:
        return generator.device if isinstance(generator, torch.Generator) else torch.device("cpu")
    expected = "'cpu'" + (f" or 'cuda[:k]', k < {torch.cuda.device_count()}" if torch.cuda.is_available() else "")
    if not isinstance(value, (str, torch.device)):
        raise _fail(name, f"a device ({expected})", value)
    try:
        d = torch.device(value)
    except (RuntimeError, ValueError, TypeError):
        raise _fail(name, f"a device ({expected})", value) from None
    ok = d.type == "cpu" or (
        d.type == "cuda" and torch.cuda.is_available() and (d.index or 0) < torch.cuda.device_count()
    )
    if not ok:
        raise _fail(name, f"an available device ({expected})", value)
    return d


def generator(name: str, value, device_: torch.device):
    """None or a torch.Generator on ``device_``'s type (torch samples only with a matching one)."""
    if value is None:
        return None
    if not isinstance(value, torch.Generator):
        raise _fail(name, "None or a torch.Generator", value)
    if value.device.type != torch.device(device_).type:
        raise _fail(name, f"a torch.Generator on {torch.device(device_).type} (the device sampled on)", value.device)
    return value


def dtype(name: str, value, default=None) -> torch.dtype:
    """torch.float32 or torch.float64 (None: ``default``, else torch's default float dtype)."""
    if value is None:
        value = default or torch.get_default_dtype()
    if value not in FLOAT_DTYPES or not isinstance(value, torch.dtype):
        raise _fail(name, "torch.float32 or torch.float64", value)
    return value


MAX_BYTES = 2**30  # no documented-range call may need more than this (Binder gives a learner 1-2 GB)


def fits(name: str, value, elements: int, *, bytes_per: int = 8, limit: int = MAX_BYTES // 2) -> None:
    """Refuse ``value`` of ``name`` when the ``elements`` it asks for would exceed ``limit`` bytes.

    The default budget is half of MAX_BYTES, the other half left for a function's temporaries.
    """
    need = int(elements) * bytes_per
    if need > limit:
        raise ValueError(
            f"{name} must ask for at most {limit / 2**20:.0f} MiB, got {shorten(value)}, "
            f"which needs {need / 2**20:.4g} MiB"
        )


def no_grad(name: str, value, why: str) -> None:
    """Refuse a tensor (or a dict of them) that requires grad, where a function does not support autograd."""
    values = value.values() if isinstance(value, dict) else [value]
    if any(isinstance(v, torch.Tensor) and v.requires_grad for v in values):
        raise ValueError(f"{name} must not require grad ({why}; pass a detached tensor), got {shorten(value)}")


def widened(x: torch.Tensor, *scales: float) -> torch.Tensor:
    """``x`` in float64 when a scale (a temperature, a sharpness k) lies outside the normal range of its dtype,
    where it would round to 0 or inf (1e-300 in float32); the caller casts its result back to x's dtype."""
    fi = torch.finfo(x.dtype)
    return x if all(fi.tiny <= s <= fi.max for s in scales) else x.to(torch.float64)


def _libc_trim():
    try:
        import ctypes

        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # not glibc: nothing to do
        return None


_TRIM = _libc_trim()


def release_memory() -> None:
    """Hand freed heap memory back to the OS between the chunks of a long computation (glibc only).

    glibc raises its mmap threshold to the size of each freed block (up to 32 MiB), so chunk-sized
    temporaries then come from the heap, which fragments and grows: entropy_gap over 10^6 dimensions
    on one thread peaked at 1.5 GB of 16 MiB temporaries. malloc_trim(0) returns the free pages.
    """
    if _TRIM is not None:
        _TRIM(0)


def sampling(device_, generator_, dtype_=None):
    """(device, generator, dtype) of a sampling function, each checked as above."""
    d = device("device", device_, generator=generator_)
    return d, generator("generator", generator_, d), dtype("dtype", dtype_)


def exact_integer(name: str, value, k: torch.Tensor) -> None:
    """Refuse ``value`` of ``name`` when it gives an integer answer ``k`` above 2^53, where float64 no longer
    holds every integer (and int64 overflows soon after)."""
    if bool((k > 2**53).any()):
        raise ValueError(f"{name} must give an answer of at most 2^53, got {shorten(value)}, which gives {k.max():.4g}")
