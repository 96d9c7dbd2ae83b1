"""Lesson 02, the synthesis figure: the angle between two random vectors, sampled against its exact law."""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.patches import Polygon, Rectangle
from matplotlib.transforms import blended_transform_factory

from theory_lib import angles as ag
from theory_lib._checks import default_device
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider
from theory_lib.figures.style import nice_ceil, step_outline

N_MAX = 10_000
VECTOR_BUDGET = 1 << 20  # "vectors" draws at most this many Gaussian coordinates per update
BINS = 48
FINE = (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8)  # mantissas of the density axis' top
ERR_LIM = (1e-9, 5.0)  # relative errors drawn: 1/(n-1)'s is 3e-9 at n = 10^4, Laplace's 1.14 at n = 3
# half-widths of the angle window in degrees, and the tick step for each
WINDOWS = ((90, 30), (45, 15), (20, 10), (10, 5), (5, 2), (2, 1))
# the article's own table of Var(theta) (quoted, not computed)
ARTICLE_VAR = {3: 0.467401, 10: 0.110661, 20: 0.0525832, 50: 0.0204053, 100: 0.0101007, 200: 0.00502508, 1000: 0.001001}


def vector_pairs(n: int, samples: int) -> int:
    """Pairs the "vectors" sampler draws per update: all asked for, within VECTOR_BUDGET coordinates."""
    return max(1, min(samples, VECTOR_BUDGET // (2 * n)))


@functools.lru_cache(maxsize=16)
def sampled_angles(n: int, samples: int, method: str, seed: int = 0) -> np.ndarray:
    """Angles drawn once per (n, samples, method) and kept, so moving eps costs nothing."""
    device = default_device()
    g = torch.Generator(device=device).manual_seed(seed)
    count = samples if method == "beta" else vector_pairs(n, samples)
    # float32 halves the cost of "vectors" (beta computes in float64 whatever the output dtype)
    theta = ag.sample_angles(n, count, method=method, device=device, generator=g, dtype=torch.float32)
    return theta.cpu().numpy().astype(np.float64)


def _percent(x: float) -> str:
    """A relative error in percent, three significant digits (scientific when tiny)."""
    return f"{100 * x:+.3g}%"


def window(n: int):
    """Half-width (degrees) and tick step of the angle window: the narrowest that holds +-4 s.d."""
    sd_deg = math.degrees(math.sqrt(ag.angle_variance(n)))
    return next(((w, s) for w, s in reversed(WINDOWS) if w >= 4 * sd_deg), WINDOWS[0])


@functools.lru_cache(maxsize=16)
def sample_summary(n: int, samples: int, method: str):
    """What the figure draws from one sample: histogram in the window, Var with its s.e., and
    |theta - pi/2| (for the sampled P(|theta - pi/2| < eps))."""
    theta = sampled_angles(n, samples, method)
    half_deg, _ = window(n)
    edges = np.linspace(math.radians(90 - half_deg), math.radians(90 + half_deg), BINS + 1)
    counts, _ = np.histogram(theta, bins=edges)
    dens = counts / (theta.size * (edges[1] - edges[0]))
    dev = np.abs(theta - math.pi / 2)
    dev2 = dev**2
    se = math.sqrt(dev2.var() / theta.size)  # s.e. of the sample variance ~ sqrt(Var(dev^2) / N)
    return edges, dens, float(dev2.mean()), se, dev


@functools.lru_cache(maxsize=1)
def _error_curves():
    """n on a log grid and the relative errors of Laplace's 1/(n-2) and of 1/(n-1) there."""
    ns = np.unique(np.round(np.logspace(np.log10(2), np.log10(N_MAX), 160)).astype(int))
    errors = np.array([ag.variance_relative_errors(int(k)) for k in ns])  # (len(ns), 2)
    return ns, errors[:, 0], errors[:, 1]


class AngleDistributionFigure(InteractiveFigure):
    """Histogram of sampled angles over p_n(theta) and N(pi/2, 1/(n-2)); how far the one-line
    formulas for Var(theta) are off; P(near 90°) against n."""

    controls = {
        # named: the dimensions of the article's table and of the lesson's exercises
        "n": LogSlider(2, N_MAX, 10, integer=True, label="dimension n", named=(3, 10, 20, 50, 100, 200, 1000, 10_000)),
        "samples": LogSlider(1_000, 200_000, 20_000, integer=True, label="sampled pairs"),
        "method": Choice(["beta", "vectors"], "beta", label="sampler"),
        "eps_deg": Slider(0.5, 30.0, 5.0, step=0.5, label="ε (degrees)", named=(1.0, 5.0, 10.0)),
    }
    figsize = (11.5, 4.6)

    def build(self):
        ax_h, ax_v, ax_p = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.35, 1, 1]})
        self.ax_h, self.ax_v, self.ax_p = ax_h, ax_v, ax_p
        self._legend_keys = {}
        tr = self.tr

        # 1. the angle: histogram, exact density, Laplace's normal, the eps band
        band_tf = blended_transform_factory(ax_h.transData, ax_h.transAxes)
        self.band = Rectangle(
            (0, 0), 0, 1, transform=band_tf, color="C2", alpha=0.15, lw=0, zorder=0.5, label="|θ − 90°| < ε"
        )
        ax_h.add_patch(self.band)
        self.hist = Polygon(np.zeros((2, 2)), closed=True, color="C0", alpha=0.45, lw=0, label=tr("sampled"))
        ax_h.add_patch(self.hist)
        (self.hist_edge,) = ax_h.plot([], [], color="C0", lw=0.8, alpha=0.8)
        (self.exact,) = ax_h.plot([], [], color="C7", lw=1.8, label=tr(r"exact $p_n(\theta)$"))
        (self.laplace,) = ax_h.plot([], [], "--", color="C3", lw=1.5, label=tr("Laplace N(π/2, 1/(n−2))"))
        ax_h.set(
            xlabel=tr("angle θ (density per radian)"),
            ylabel=tr("density"),
            title=tr("the angle between two random vectors"),
        )
        ax_h.yaxis.set_label_coords(-0.1, 0.5)  # clear of the widest tick labels ("0.35"), whatever n
        self._legend(ax_h, [self.hist, self.exact, self.laplace, self.band])

        # 2. how far the one-line formulas for Var(theta) are from the exact psi'(n/2)/2
        ns, laplace_err, nm1_err = _error_curves()
        ax_v.loglog(ns[ns >= 3], laplace_err[ns >= 3], "--", color="C3", lw=1.5, label=tr("Laplace 1/(n−2)"))
        ax_v.loglog(ns, nm1_err, "-.", color="C4", lw=1.5, label="1/(n−1)")
        article = np.array([abs(q / ag.angle_variance(k) - 1) for k, q in ARTICLE_VAR.items()])
        (self.article_pts,) = ax_v.plot(
            list(ARTICLE_VAR), article, "x", color="k", ms=6, label=tr("article's table (6 digits)")
        )
        (self.var_err,) = ax_v.plot([], [], color="C1", lw=2)
        (self.var_pt,) = ax_v.plot([], [], "o", color="C1", ms=6, label=tr("sampled |error| (±2 s.e.)"))
        ax_v.set(
            xlim=(1.7, 1.3 * N_MAX),
            ylim=ERR_LIM,
            xlabel="n",
            ylabel=tr("relative error vs ψ′(n/2)/2"),
            title=tr("Var(θ): error of the one-line formulas"),
        )
        self._legend(ax_v, [ax_v.lines[0], ax_v.lines[1], self.article_pts, self.var_pt])

        # 3. P(|theta - pi/2| < eps) against n
        self.ns_curve = torch.unique(torch.round(torch.logspace(math.log10(2), math.log10(N_MAX), 90))).long()
        (self.p_exact,) = ax_p.plot([], [], color="C2", lw=2, label=tr("exact"))
        (self.p_normal,) = ax_p.plot(
            [], [], "--", color="C3", lw=1.5, label=tr(r"Laplace $2\Phi(\varepsilon\sqrt{n-2})-1$")
        )
        (self.p_pt,) = ax_p.plot([], [], "o", color="C1", ms=6, label=tr("sampled"))
        ax_p.set(
            xscale="log",
            xlim=(1.7, 1.3 * N_MAX),
            ylim=(-0.02, 1.02),
            xlabel="n",
            ylabel="P(|θ − 90°| < ε)",
            title=tr("almost orthogonal"),
        )
        self._legend(ax_p, [self.p_exact, self.p_normal, self.p_pt])

    def _legend(self, ax, artists):
        """A legend below ``ax`` for the artists that draw something; rebuilt only when that set changes."""
        shown = (
            [a for a in artists if not hasattr(a, "get_xdata") or len(a.get_xdata())]
            if ax in self._legend_keys
            else artists
        )
        key = tuple(a.get_label() for a in shown)
        if self._legend_keys.get(ax) == key:
            return
        self._legend_keys[ax] = key
        ax.legend(handles=shown, loc="upper center", bbox_to_anchor=(0.5, -0.16), fontsize=8, ncol=2, frameon=False)

    def draw(self, n, samples, method, eps_deg):
        edges, dens, var_s, se, dev = sample_summary(n, samples, method)
        count = dev.size
        eps = math.radians(eps_deg)
        var_exact = ag.angle_variance(n)

        # histogram, exact density and Laplace's normal in a window of +-4 s.d. (fixed ladder)
        half_deg, step = window(n)
        lo, hi = edges[0], edges[-1]
        outline = step_outline(edges, dens)
        self.hist.set_xy(outline)
        self.hist_edge.set_data(outline[:, 0], outline[:, 1])
        grid = np.linspace(lo, hi, 400)
        pdf = ag.angle_pdf(torch.from_numpy(grid), n).numpy()
        self.exact.set_data(grid, pdf)
        if n >= 3:
            self.laplace.set_data(grid, ag.laplace_pdf(torch.from_numpy(grid), n).numpy())
        else:  # 1/(n-2) is infinite: no normal law to draw
            self.laplace.set_data([], [])
        self._legend(self.ax_h, [self.hist, self.exact, self.laplace, self.band])
        self.band.set_x(math.pi / 2 - eps)
        self.band.set_width(2 * eps)
        ticks = np.arange(90 - half_deg, 90 + half_deg + 1e-9, step)
        self.ax_h.set_xlim(lo, hi)
        self.ax_h.set_ylim(0, nice_ceil(max(1.08 * pdf.max(), 1.02 * dens.max()), FINE))
        if list(self.ax_h.get_xticks()) != list(np.radians(ticks)):
            self.ax_h.set_xticks(np.radians(ticks), [f"{t:g}°" for t in ticks])

        # the sample's own relative error |Var_sampled / Var - 1|, with +-2 standard errors
        rel, rel_se = abs(var_s / var_exact - 1), se / var_exact
        floor = ERR_LIM[0]
        self.var_pt.set_data([n], [max(rel, floor)])
        self.var_err.set_data([n, n], [max(rel - 2 * rel_se, floor), max(rel + 2 * rel_se, floor)])

        # near-orthogonality against n for this eps, and at this n (one vectorised call)
        p_all = ag.prob_near_orthogonal(torch.cat([self.ns_curve, torch.tensor([n])]), eps).numpy()
        p_curve, p_exact = p_all[:-1], float(p_all[-1])
        ns = self.ns_curve.numpy()
        self.p_exact.set_data(ns, p_curve)
        m = ns[ns >= 3]
        self.p_normal.set_data(m, np.array([math.erf(eps * math.sqrt((k - 2) / 2)) for k in m]))
        p_s = np.count_nonzero(dev < eps) / count
        self.p_pt.set_data([n], [p_s])

        laplace_err, nm1_err = ag.variance_relative_errors(n)
        tr = self.tr
        off = tr("{value:.5g} (off by {error})")
        laplace = off.format(value=1 / (n - 2), error=_percent(laplace_err)) if n >= 3 else "∞"
        capped = (
            ""
            if method == "beta" or count == samples
            else tr(" (capped at {budget:,} Gaussian coordinates per update)").format(budget=VECTOR_BUDGET)
        )
        # kept for the exercises: what the readout says, as numbers
        self.count, self.var_exact, self.var_sampled, self.var_se = count, var_exact, var_s, se
        self.p_near, self.p_sampled = p_exact, p_s
        self.readout = tr(
            "n = {n}, {count:,} pairs by <b>{method}</b>{capped}. "
            "Var(θ): exact ψ′(n/2)/2 = <b>{exact:.5g}</b>, sampled {sampled:.4g} ± {se:.1g} "
            "(off by {error}), Laplace 1/(n−2) = {laplace}, "
            "1/(n−1) = {nm1}. "
            "P(|θ − 90°| < {eps:g}°): exact <b>{p:.4f}</b>, sampled {p_sampled:.4f}."
        ).format(
            n=n,
            count=count,
            method=method,
            capped=capped,
            exact=var_exact,
            sampled=var_s,
            se=se,
            error=_percent(var_s / var_exact - 1),
            laplace=laplace,
            nm1=off.format(value=1 / (n - 1), error=_percent(nm1_err)),
            eps=eps_deg,
            p=p_exact,
            p_sampled=p_s,
        )
