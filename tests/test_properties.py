"""Every public function against every class of bad, extreme and unusual input (hypothesis).

The functions are enumerated from each topic's ``__all__`` and their signatures, and each one's
valid inputs are read from its ``_checks.public`` declaration (an example call, extreme values,
spans to draw tensors from, and the classes of input it cannot take), so a new function is
covered without editing this file. For every parameter each class of bad value must raise a
ValueError naming the parameter and the value; valid calls in float32 and float64, batched,
non-contiguous, at extreme values and with ``requires_grad`` must give finite results and, after
backward, finite gradients.
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import inspect
import math
import signal

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st

import theory_lib

MODULES = [importlib.import_module(f"theory_lib.{m}") for m in theory_lib.__all__ if m != "default_device"]
NAMES = [(m.__name__.split(".")[-1], name, getattr(m, name)) for m in MODULES for name in m.__all__]
CALLABLES = [(f"{mod}.{name}", obj) for mod, name, obj in NAMES if hasattr(obj, "__inputs__")]
CASES = {"bad": 0, "valid": 0}
MAX_EXAMPLES = 6


def _is_result_type(obj) -> bool:
    """Classes whose instances a function returns (dataclasses, exceptions), and constants."""
    if not callable(obj):
        return True
    return inspect.isclass(obj) and (dataclasses.is_dataclass(obj) or issubclass(obj, (tuple, Exception)))


def test_every_public_name_is_declared_or_a_result_type(request):
    missing = [
        f"{mod}.{name}" for mod, name, obj in NAMES if not hasattr(obj, "__inputs__") and not _is_result_type(obj)
    ]
    assert not missing, f"public functions without a _checks.public declaration: {missing}"
    _say(
        request.config,
        f"test_properties: {len(NAMES)} public names, {len(CALLABLES)} functions declared and tested, "
        f"{len(NAMES) - len(CALLABLES)} constants and result types",
    )


def _say(config, line: str) -> None:
    """Print past pytest's output capture (the counts the issue asks for, in every run)."""
    capture = config.pluginmanager.get_plugin("capturemanager")
    with capture.global_and_fixture_disabled() if capture else contextlib.nullcontext():
        print(f"\n{line}")


@pytest.fixture(scope="module", autouse=True)
def _report(request):
    yield
    _say(request.config, f"test_properties: {CASES['bad']} bad-input calls, {CASES['valid']} valid generated calls")


class _TimeLimit:
    """A call that runs past ``seconds`` fails (a count with no maximum can run forever)."""

    def __init__(self, seconds: float):
        self.seconds = seconds

    def _raise(self, *_):
        raise TimeoutError(f"still running after {self.seconds} s")

    def __enter__(self):
        self.old = signal.signal(signal.SIGALRM, self._raise)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.old)
        return False


_time_limit = _TimeLimit


# ---------------------------------------------------------------- what each parameter is
def _example(f) -> dict:
    ex = f.__inputs__["example"]
    return dict(ex() if callable(ex) else ex)


def _kind(f, p: inspect.Parameter, value) -> str:
    declared = f.__inputs__.get("kinds", {})
    if p.name in declared:
        return declared[p.name]
    if p.name in ("device", "generator", "dtype"):
        return p.name
    if p.name == "seed":
        return "seed"
    if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.name == "progress":
        return "other"
    if isinstance(value, (torch.Tensor, np.ndarray, list)):
        return "tensor"
    for types, kind in ((bool, "bool"), (int, "int"), (float, "real"), (str, "choice")):
        if isinstance(value, types):
            return kind
    if value is None:
        ann = str(p.annotation)
        for word, kind in (("int", "int"), ("float", "real"), ("str", "choice"), ("bool", "bool")):
            if ann.startswith(word):
                return kind
    return "other"


def _params(f):
    """(name, kind, optional) for each parameter, and the example call."""
    ex = _example(f)
    sig = inspect.signature(f)
    out = []
    for p in sig.parameters.values():
        value = ex.get(p.name, p.default)
        out.append((p.name, _kind(f, p, value), p.default is None or "None" in str(p.annotation)))
    return out, ex


class _Thing:
    def __repr__(self):
        return "<thing>"


def _bad_values(kind: str, optional: bool):
    common = ["abc", {"a": 1}, _Thing()] + ([] if optional else [None])
    return {
        "tensor": common
        + [torch.tensor([1 + 5j, 2 - 7j]), [math.nan, 1.0], torch.tensor([1.0, math.inf]), torch.empty(0), True],
        "int": common + [1.5, 10**30, 2**63, -(2**63), 10**400, True, math.nan],
        "seed": common + [-1, 2**64, 1.5, True],
        "real": common + [math.nan, math.inf, -math.inf, 10**400, 1j, True],
        "choice": common + ["nonsense", 1.5],
        "bool": ["yes", 2, _Thing()] + ([] if optional else [None]),
        "device": ["nonsense", 1.5, _Thing()] + ([] if torch.cuda.is_available() else ["cuda", "cuda:0"]),
        "generator": [0, "abc", _Thing()],
        "dtype": [torch.int64, "float32", torch.complex64, torch.bool],
    }.get(kind, [])


BAD = [
    (qual, f, name, value)
    for qual, f in CALLABLES
    for name, kind, optional in _params(f)[0]
    for value in _bad_values(kind, optional)
]


@pytest.mark.parametrize(
    ("qual", "f", "name", "value"), BAD, ids=[f"{q}-{n}-{i}" for i, (q, _, n, _) in enumerate(BAD)]
)
def test_bad_input_names_the_parameter_and_value(qual, f, name, value):
    kwargs = _example(f)
    kwargs[name] = value
    CASES["bad"] += 1
    with pytest.raises(ValueError) as info, _time_limit(10):
        f(**kwargs)
    message = str(info.value)
    assert name in message and "got" in message, f"{qual}({name}={value!r}): {message}"


# ---------------------------------------------------------------- valid input stays finite
def _leaves(x):
    if isinstance(x, torch.Tensor):
        yield x
    elif isinstance(x, (int, float)) and not isinstance(x, bool):
        yield x
    elif dataclasses.is_dataclass(x) and not isinstance(x, type):
        for v in (getattr(x, fd.name) for fd in dataclasses.fields(x)):
            yield from _leaves(v)
    elif isinstance(x, (tuple, list)):
        for v in x:
            yield from _leaves(v)
    elif isinstance(x, dict):
        for v in x.values():
            yield from _leaves(v)
    elif isinstance(x, torch.nn.Module):
        for v in x.parameters():
            yield v


def _finite(x) -> bool:
    if isinstance(x, torch.Tensor):
        return not x.is_floating_point() or bool(torch.isfinite(x.detach()).all())
    return math.isfinite(x)


def _noncontiguous(t: torch.Tensor) -> torch.Tensor:
    out = torch.stack([t, t], dim=-1)[..., 0]
    return out if t.dim() == 0 else out


def _representable(t: torch.Tensor, dtype) -> bool:
    """Whether ``t`` keeps its values in ``dtype`` (1e300 is inf in float32, 1e-300 is 0): if not, the
    draw stays in float64 (an extreme value is tested in the dtype that can hold it)."""
    t = t.to(torch.float64)
    c = t.to(dtype).to(torch.float64)
    return bool(((t == 0) | torch.isfinite(c) & (c != 0) & ((c - t).abs() <= 1e-6 * t.abs())).all())


@st.composite
def _valid_call(draw, f):
    params, kw = _params(f)
    facts = f.__inputs__
    cannot = set(facts.get("cannot", ()))
    kinds = {n: k for n, k, _ in params}
    dtype = draw(st.sampled_from([torch.float64] if "float32" in cannot else [torch.float32, torch.float64]))
    layout = draw(st.sampled_from(["plain", "noncontiguous"] + ([] if "batch" in cannot else ["batch"])))
    grad = "grad" not in cannot and draw(st.booleans())
    for name, (lo, hi) in facts.get("spans", {}).items():
        t = torch.as_tensor(kw[name], dtype=torch.float64)
        values = draw(st.lists(st.floats(lo, hi), min_size=t.numel(), max_size=t.numel()))
        kw[name] = torch.tensor(values, dtype=torch.float64).reshape(t.shape)
    extremes = facts.get("extremes", {})
    if extremes and draw(st.booleans()):
        name = draw(st.sampled_from(sorted(extremes)))
        kw[name] = draw(st.sampled_from(extremes[name]))
    tensors = [n for n in kw if kinds.get(n) == "tensor" and isinstance(kw[n], (torch.Tensor, list))]
    for n in tensors:
        t = kw[n] if isinstance(kw[n], torch.Tensor) else torch.tensor(kw[n], dtype=torch.float64)
        if t.is_floating_point() and _representable(t, dtype):
            t = t.to(dtype)
        if layout == "batch":
            t = torch.stack([t, t])
        elif layout == "noncontiguous":
            t = _noncontiguous(t)
        if grad and t.is_floating_point():
            t = t.detach().requires_grad_(True)
        kw[n] = t
    return kw, dtype, layout, grad


@pytest.mark.parametrize(("qual", "f"), CALLABLES, ids=[q for q, _ in CALLABLES])
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
@given(data=st.data())
def test_valid_input_gives_finite_results_and_gradients(qual, f, data):
    kw, dtype, layout, grad = data.draw(_valid_call(f))
    CASES["valid"] += 1
    with _time_limit(30):
        out = f(**kw)
    leaves = list(_leaves(out))
    bad = [] if "nonfinite" in f.__inputs__ else [x for x in leaves if not _finite(x)]
    assert not bad, f"{qual}({kw}) [{layout}, {dtype}] gave non-finite output"
    inputs = [t for t in kw.values() if isinstance(t, torch.Tensor) and t.requires_grad]
    outs = [x for x in leaves if isinstance(x, torch.Tensor) and x.requires_grad]
    if inputs and outs:
        total = sum(x.sum() for x in outs)
        grads = torch.autograd.grad(total, inputs, allow_unused=True)
        for g in grads:
            assert g is None or bool(torch.isfinite(g).all()), f"{qual}({kw}) [{layout}]: gradient {g}"
