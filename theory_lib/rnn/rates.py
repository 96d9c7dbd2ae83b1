"""Decay rates of gradient profiles: the λ of ‖∂s_T/∂s_t‖ ≈ C e^{-λ (T - t)}, and what a window says of it.

    log‖∂s_T/∂s_t‖ ≈ const − λ (T − t),   λ = −(least-squares slope against the lag T − t)

over the lags skip·T .. T (natural log per step): λ > 0 vanishes, λ < 0 explodes, half-life log 2 / λ
steps. λ is a property of the window, so ``decay_fit`` also fits each half of it and calls growth
that levels off "saturates" (λ₂/λ₁ < 1/4) rather than quoting a rate.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from theory_lib._checks import as_float_tensor, public, real, shorten


@public(
    {"log_norms": [0.0, -0.5, -1.1, -1.4, -2.0, -2.6]},
    extremes={"skip": [0.0, 0.5], "log_norms": [[0.0, -1e300, -1e300, -1e300], [0.0, 1e300, 2e300, 3e300]]},
    cannot=("grad", "batch"),
    nonfinite="inf for a zero product",
)
def decay_rate(log_norms, skip: float = 0.1) -> torch.Tensor | float:
    """Per-step decay rate λ of a log-norm profile: log‖∂s_T/∂s_t‖ ≈ const - λ (T - t).

    Least-squares slope against the lag T - t over lags >= ``skip`` · T (the first lags are a
    transient), natural log per step: λ > 0 vanishes, λ < 0 explodes; half-life log 2 / λ steps.
    ``log_norms`` is time first, (T+1,) or (T+1, ...); a profile that hits -inf (an exactly zero
    product) has λ = inf. NaN entries (``GradientProfile.cell`` at t = 0) are left out.
    """
    ell = as_float_tensor("log_norms", log_norms, finite=False)  # NaN and -inf have a meaning here
    if ell.shape[0] < 3:
        raise ValueError(f"log_norms must be a tensor with at least 3 time steps, got {shorten(log_norms)}")
    if (ell == math.inf).any():
        raise ValueError(f"log_norms must not contain +inf, got {shorten(log_norms)}")
    skip = real("skip", skip, lo=0.0, hi=1.0, hi_open=True)
    T = ell.shape[0] - 1
    lag = torch.arange(T, -1, -1, dtype=ell.dtype, device=ell.device)  # T - t
    keep = (lag >= skip * T) & ~torch.isnan(ell).reshape(T + 1, -1).any(-1)
    if keep.sum() < 2:
        raise ValueError(f"skip must leave at least 2 lags, got {skip!r}")
    y = ell[keep].reshape(int(keep.sum()), -1)  # (n, batch)
    xk = lag[keep].unsqueeze(-1)
    dead = torch.isinf(y).any(0)
    y = torch.where(torch.isinf(y), torch.zeros_like(y), y)
    xm, ym = xk.mean(0), y.mean(0)
    slope = ((xk - xm) * (y - ym)).sum(0) / ((xk - xm) ** 2).sum(0)
    rate = torch.where(dead, torch.full_like(slope, math.inf), -slope).reshape(ell.shape[1:])
    return rate.item() if ell.dim() == 1 else rate


class DecayFit(NamedTuple):
    """What ``decay_fit`` measured on one profile: λ is a property of the window, not of the cell."""

    rate: float  # λ over the whole window (natural log per step); inf for an exactly zero product
    first: float  # λ over the window's first half
    second: float  # λ over its second half
    lags: tuple  # (first lag, last lag) of the window, (ceil(skip · T), T)
    verdict: str  # "vanishes", "explodes", "saturates", "flat" or "zero"


def _slope(lag: torch.Tensor, y: torch.Tensor) -> float:
    lm, ym = lag.mean(), y.mean()
    return (((lag - lm) * (y - ym)).sum() / ((lag - lm) ** 2).sum()).item()


@public({"log_norms": [0.0, -0.5, -1.1, -1.4, -2.0, -2.6]}, extremes={"skip": [0.0, 0.5]}, cannot=("grad", "batch"))
def decay_fit(log_norms, skip: float = 0.1) -> DecayFit:
    """``decay_rate`` with its window, the rate over each half of it, and a verdict.

    Fits log‖∂s_T/∂s_t‖ ≈ const − λ (T − t) over lags k0 = ceil(skip · T) .. T, and again over
    each half. Verdict, in this order: "zero" (the product is exactly 0); "saturates" when the
    first half changes the norm by at least a factor 2 (|λ₁| · half ≥ log 2) and the second half
    goes on at less than a quarter of that pace or turns back (λ₂/λ₁ < 1/4): a bounded change,
    not exponential; "flat" when the fitted line changes the norm by less than a factor 2 over the
    whole window (|λ| (T − k0) < log 2: too slow to measure at this T); else "vanishes" (λ > 0) or
    "explodes" (λ < 0). A 1-D profile, time first (index t), as ``gradient_norms`` returns it.
    """
    ell = as_float_tensor("log_norms", log_norms, finite=False)
    if ell.dim() != 1 or ell.shape[0] < 5:
        raise ValueError(f"log_norms must be a 1-D tensor with at least 5 time steps, got {shorten(log_norms)}")
    rate = decay_rate(ell, skip)
    T = ell.shape[0] - 1
    k0 = math.ceil(skip * T)  # as decay_rate: lags >= skip · T
    if rate == math.inf:
        return DecayFit(math.inf, math.inf, math.inf, (k0, T), "zero")
    by_lag = torch.flip(ell, [0]).to(torch.float64)  # index = lag T - t
    lag = torch.arange(T + 1, dtype=torch.float64)
    keep = ~torch.isnan(by_lag)
    mid = (k0 + T) // 2
    halves = []
    for a, b in ((k0, mid), (mid, T)):
        m = keep[a : b + 1]
        halves.append(-_slope(lag[a : b + 1][m], by_lag[a : b + 1][m]) if m.sum() >= 2 else rate)
    first, second = halves
    if abs(first) * (mid - k0) >= math.log(2) and second / first < 0.25:
        verdict = "saturates"
    elif abs(rate) * (T - k0) < math.log(2):
        verdict = "flat"
    else:
        verdict = "vanishes" if rate > 0 else "explodes"
    return DecayFit(rate, first, second, (k0, T), verdict)
