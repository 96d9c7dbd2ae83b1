"""Lesson 10, the synthesis: a whole attention matrix approximated by random features.

n = 64 tokens in d = 16, q and k rows c·N(0, I_d)/√d (so |q|, |k| ≈ c). Panels: A = softmax(QKᵀ),
Â = performer_weights (first of DRAWS ω draws), Â − A, and the relative Frobenius error
|Â − A|_F / |A|_F, mean over DRAWS draws, against m for the three kinds of ω (iid, orthogonal,
Su's quantile radii) at this c, with the chosen m marked. The curves are cached per (c, features).
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from theory_lib import performer as pf
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider

N, D, DRAWS = 64, 16, 6
M_CURVE = (4, 16, 64, 256, 1024)
CURVE_DRAWS = 2  # the curves: fewer draws (a new c costs their 15 evaluations, then is cached)
ERR_LIM = (5e-3, 50.0)
KIND_COLORS = {"iid": "C0", "orthogonal": "C2", "quantile": "C1"}


@functools.lru_cache(maxsize=1)
def _tokens():
    g = torch.Generator().manual_seed(12)
    return torch.randn(N, D, generator=g, dtype=torch.float64), torch.randn(N, D, generator=g, dtype=torch.float64)


def queries_keys(c: float):
    """(q, k), (N, D) each, float64: c·N(0, I_d)/√d, the same draw at every c."""
    z_q, z_k = _tokens()
    return c * z_q / D**0.5, c * z_k / D**0.5


@functools.lru_cache(maxsize=256)
@one_cpu_thread()
def errors(m: int, c: float, kind: str, features: str, draws: int = DRAWS, dtype=torch.float32):
    """(Â of the first draw, A, relative Frobenius error per draw (draws,)) for these settings."""
    q, k = queries_keys(c)
    g = torch.Generator().manual_seed(10 * m + pf.KINDS.index(kind))
    om = pf.sample_omega(m, D, kind, draws=draws, generator=g, dtype=dtype)  # (draws, m, D)
    a_hat = pf.performer_weights(q.to(dtype), k.to(dtype), om, features=features).double()  # (draws, N, N)
    a = torch.softmax(q @ k.T, dim=-1)
    err = torch.linalg.matrix_norm(a_hat - a) / torch.linalg.matrix_norm(a)
    return a_hat[0].numpy(), a.numpy(), err.numpy()


C_GRID = tuple(0.25 * i for i in range(1, 11))  # the c slider's positions


@functools.lru_cache(maxsize=2)
@one_cpu_thread()
def _curves_on_grid(features: str) -> dict:
    """{c: {kind: mean relative error at each m of M_CURVE}} for every c of C_GRID, in one batched
    pass per (kind, m): the ω draws are those ``errors`` uses, applied to all scales at once."""
    c = torch.tensor(C_GRID, dtype=torch.float64)[:, None, None, None]  # (C, 1, 1, 1)
    z_q, z_k = _tokens()
    q, k = c * z_q / D**0.5, c * z_k / D**0.5  # (C, 1, N, D): the same tokens at every scale
    a = torch.softmax(q @ k.transpose(-1, -2), dim=-1)  # (C, 1, N, N)
    out = {x: {} for x in C_GRID}
    for kind in KIND_COLORS:
        table = np.empty((len(C_GRID), len(M_CURVE)))
        for j, m in enumerate(M_CURVE):
            g = torch.Generator().manual_seed(10 * m + pf.KINDS.index(kind))
            om = pf.sample_omega(m, D, kind, draws=CURVE_DRAWS, generator=g)  # (draws, m, D), float32
            a_hat = pf.performer_weights(q.float(), k.float(), om, features=features).double()  # (C, draws, N, N)
            err = torch.linalg.matrix_norm(a_hat - a) / torch.linalg.matrix_norm(a)  # (C, draws)
            table[:, j] = err.mean(-1).numpy()
        for i, x in enumerate(C_GRID):
            out[x][kind] = table[i]
    return out


@functools.lru_cache(maxsize=64)
def error_curves(c: float, features: str) -> dict:
    """{kind: mean relative error over CURVE_DRAWS draws at each m of M_CURVE}; the c slider's own
    positions come from one batched pass over all of them (``_curves_on_grid``)."""
    grid = _curves_on_grid(features)
    if c in grid:
        return grid[c]
    return {
        kind: np.array([errors(m, c, kind, features, CURVE_DRAWS)[2].mean() for m in M_CURVE]) for kind in KIND_COLORS
    }


class AttentionMatrixFigure(InteractiveFigure):
    """A, Â and Â − A as heatmaps, and the error against m for the three kinds of ω."""

    controls = {
        "m": LogSlider(4, 1024, 64, integer=True, label="features m", named=(16, 64, 256, 1024)),
        "c": Slider(0.25, 2.5, 1.0, step=0.25, label="scale c = |q| ≈ |k|", named=(0.5, 1.0, 2.0)),
        "kind": Choice(list(KIND_COLORS), "iid", label="kind of ω"),
        "features": Choice(["positive", "trig"], "positive", label="features"),
    }
    figsize = (12.0, 3.7)

    def build(self):
        self.kind_names = {
            "iid": self.tr("iid"),
            "orthogonal": self.tr("orthogonal"),
            "quantile": self.tr("quantile radii"),
        }
        self.feature_names = {"positive": self.tr("positive"), "trig": self.tr("trigonometric")}
        for features in ("positive", "trig"):  # both tables now (about 0.6 s each), so no move waits for one
            _curves_on_grid(features)
        axes = self.fig.subplots(1, 4, gridspec_kw={"width_ratios": [1, 1, 1, 1.45]})
        self.axes = axes
        titles = (self.tr("A = softmax(QKᵀ)"), self.tr("Â (one draw of ω)"), self.tr("Â − A"))
        self.images = []
        for ax, title, cmap in zip(axes[:3], titles, ("viridis", "viridis", "RdBu_r"), strict=True):
            self.images.append(ax.imshow(np.zeros((N, N)), cmap=cmap, interpolation="nearest"))
            ax.set_title(title, fontsize=9)
            ax.set_xticks([])
            ax.set_yticks([])
        ax = axes[3]
        self.curves = {}
        for kind, color in KIND_COLORS.items():
            (self.curves[kind],) = ax.loglog([], [], "o-", color=color, ms=3, lw=1.4, label=self.kind_names[kind])
        (self.here,) = ax.plot([], [], "D", color="k", ms=6, mfc="none")
        self.m_line = ax.axvline(64, color="0.3", lw=0.8)
        ax.axvline(D, color="0.6", ls=":", lw=1)
        ax.set(xlim=(3, 1400), ylim=ERR_LIM, xlabel=self.tr("features m (dotted: m = d)"))
        ax.set_ylabel(self.tr("|Â − A| / |A|"), fontsize=9)
        ax.set_title(self.tr("lines: {c} draws; diamond: {d} draws").format(c=CURVE_DRAWS, d=DRAWS), fontsize=9)
        ax.legend(loc="lower left", fontsize=8, frameon=False)

    @one_cpu_thread()
    def draw(self, m, c, kind, features):
        a_hat, a, err = errors(m, c, kind, features)
        top = float(a.max())
        self.images[0].set_data(a)
        self.images[1].set_data(np.clip(a_hat, -top, 2 * top))
        self.images[2].set_data(np.clip(a_hat - a, -top, top))
        self.images[0].set_clim(0, top)
        self.images[1].set_clim(0, top)
        self.images[2].set_clim(-top, top)
        curves = error_curves(c, features)
        for k, line in self.curves.items():
            line.set_data(M_CURVE, np.clip(curves[k], *ERR_LIM))
        self.error = float(err.mean())
        self.error_sd = float(err.std())
        self.here.set_data([m], [np.clip(self.error, *ERR_LIM)])
        self.m_line.set_xdata([m, m])
        self.negative = float((a_hat < 0).mean())
        self.readout = self.tr(
            "n = {n} tokens, d = {d}, c = {c:.2f}, m = {m} ({ratio:.3g}·d), {kind} ω, {features} features: "
            "relative error |Â − A|/|A| = <b>{err:.3f}</b> (± {sd:.3f} over {draws} draws). "
            "Negative weights in Â: {neg:.1%}."
        ).format(
            n=N,
            d=D,
            c=c,
            m=m,
            ratio=m / D,
            kind=self.kind_names[kind],
            features=self.feature_names[features],
            err=self.error,
            sd=self.error_sd,
            draws=DRAWS,
            neg=self.negative,
        )
