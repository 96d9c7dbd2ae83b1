"""Lesson 08 figures: the embedding dimension n > 8.33 log N, and why h_n / n -> -0.2406."""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.transforms import blended_transform_factory

from theory_lib import embedding as em
from theory_lib.figures.base import Choice, InteractiveFigure, LogSlider, Slider

COMMON_DIMS = (64, 100, 128, 256, 300)
ARTICLE = 2 / em.ARTICLE_COEFFICIENT  # 8.33
LIMIT = 2 / -em.entropy_coefficient_limit()  # 8.312
BASES = {"e (natural, the article's)": math.e, "2": 2.0, "10": 10.0}
MC_DIMS = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64)  # where the Monte Carlo points are drawn


@functools.lru_cache(maxsize=1)
def gap_table(n_max: int = 400):
    """n = 2..n_max and the exact h_n (numpy, float64), computed once."""
    dims = torch.arange(2, n_max + 1, dtype=torch.float64)
    return dims.numpy(), em.entropy_gap(dims).numpy()


def exact_threshold(two_log_n):
    """The real n where 2 log N + h_n crosses 0 (h_n interpolated linearly between integers)."""
    dims, h = gap_table()
    return np.interp(two_log_n, -h, dims)  # -h_n increases with n


class DimensionFigure(InteractiveFigure):
    """Left: the bound against N (article, exact, limit, another log base, JL). Right: H(n)."""

    controls = {
        "N": LogSlider(1e3, 1e8, 1e5, integer=True, label="vocabulary size N"),
        "base": Choice(list(BASES), "e (natural, the article's)", label="log in 8.33·log N"),
        "eps": Slider(0.1, 0.9, 0.5, step=0.01, label="JL distortion ε"),
    }
    figsize = (11.0, 4.4)

    def build(self):
        ax, ax_h = self.fig.subplots(1, 2)
        self.ax, self.ax_h = ax, ax_h
        self.fig.get_layout_engine().set(wspace=0.08)  # room for the size labels right of ax
        self.grid = np.logspace(3, 8, 240)  # vocabulary sizes
        two_log = 2 * np.log(self.grid)
        for d in COMMON_DIMS:
            ax.axhline(d, color="0.75", lw=0.8, ls=":", zorder=0)
        # labels of the common sizes: figure texts, part of the static background (never redrawn)
        at_right = blended_transform_factory(ax.transAxes, ax.transData)
        for d in COMMON_DIMS:
            self.fig.text(1.01, d * (0.93 if d == 256 else 1.0), str(d), transform=at_right,
                          fontsize=7, va="center", color="0.45")
        (self.jl_line,) = ax.plot([], [], color="C2", lw=1.6, label="JL, $4\\log N/(ε^2/2-ε^3/3)$")
        (self.base_line,) = ax.plot([], [], color="C3", lw=1.6, label="8.33·log$_b$ N (other base)")
        ax.plot(self.grid, ARTICLE * np.log(self.grid), color="k", lw=1.2, ls=":", label="article: 8.33 ln N")
        ax.plot(self.grid, exact_threshold(two_log), color="C0", lw=2, label="exact $h_n$: $2\\ln N+h_n=0$")
        ax.plot(self.grid, LIMIT * np.log(self.grid), color="C1", lw=1.2, ls="--", label="limit: 8.31 ln N")
        self.n_mark = ax.axvline(1e5, color="0.3", lw=0.8)
        (self.points,) = ax.plot([], [], "o", ms=4, color="k", zorder=5)
        ax.set(xscale="log", yscale="log", xlim=(1e3, 1e8), ylim=(20, 2e4), xlabel="vocabulary size N",
               ylabel="dimension n", title="smallest dimension against vocabulary size")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=7.5, ncol=2, frameon=False)

        dims, h = gap_table()
        self.dims, self.h = dims[dims <= 320], h[dims <= 320]
        ax_h.axhspan(-90, 0, color="C2", alpha=0.07, lw=0, label="H < 0: n holds N words with room to spare")
        ax_h.axhline(0, color="0.3", lw=0.8)
        for d in COMMON_DIMS:
            ax_h.axvline(d, color="0.75", lw=0.8, ls=":", zorder=0)
        top = ax_h.secondary_xaxis("top")
        top.set_xticks(COMMON_DIMS, [str(d) for d in COMMON_DIMS], fontsize=7, color="0.45")
        top.tick_params(length=2)
        (self.h_line,) = ax_h.plot([], [], color="C0", lw=2, label="$2\\ln N + h_n$ (exact)")
        (self.lin_line,) = ax_h.plot([], [], color="k", lw=1, ls=":", label="$2\\ln N - 0.24\\,n$ (article)")
        (self.cross,) = ax_h.plot([], [], "o", color="C0", ms=6)
        self.cross_text = ax_h.text(0, 0, "", fontsize=8, color="C0", ha="left", va="bottom")
        ax_h.set(xlim=(0, 320), ylim=(-90, 40), xlabel="dimension n", ylabel="entropy H (nats)")
        ax_h.set_title("$H \\approx \\log N^2 + h_n$ for this N", pad=12)
        ax_h.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=7.5, ncol=2, frameon=False)

    def draw(self, N, base, eps):
        two_log = 2 * math.log(N)
        b = BASES[base]
        jl_k = 4 * np.log(self.grid) / (eps**2 / 2 - eps**3 / 3)
        self.jl_line.set_data(self.grid, jl_k)
        if b == math.e:
            self.base_line.set_data([], [])
        else:
            self.base_line.set_data(self.grid, ARTICLE * np.log(self.grid) / math.log(b))
        self.n_mark.set_xdata([N, N])
        n_article = ARTICLE * math.log(N)
        n_exact = float(exact_threshold(two_log))
        n_base = ARTICLE * math.log(N) / math.log(b)
        n_jl = em.jl_dimension(N, eps)
        self.points.set_data([N] * 4, [n_article, n_exact, n_base, n_jl])

        self.h_line.set_data(self.dims, two_log + self.h)
        self.lin_line.set_data(self.dims, two_log - em.ARTICLE_COEFFICIENT * self.dims)
        self.cross.set_data([n_exact], [0.0])
        self.cross_text.set_position((n_exact + 6, 2))
        self.cross_text.set_text(f"n ≈ {n_exact:.1f}")

        table_n, table_h = gap_table()
        dims = {c: em.min_embedding_dim(N, c) for c in (0.24, "limit")}
        # same criterion as em.min_embedding_dim(N, "exact"), read off the precomputed table
        dims["exact"] = int(table_n[np.searchsorted(-table_h, two_log, side="right")])
        enough = [d for d in COMMON_DIMS if d >= dims["exact"]]
        other = "" if b == math.e else (
            f"<br>Reading log as log<sub>{base}</sub>: 8.33·log<sub>{base}</sub> N = {n_base:.1f} "
            f"(×{1 / math.log(b):.3f} of the natural-log value).")
        self.readout = (
            f"N = {N:,.0f}: article 8.33·ln N = {n_article:.1f} → n ≥ <b>{dims[0.24]}</b>; "
            f"exact h<sub>n</sub> → <b>{dims['exact']}</b>; Laplace limit 8.312·ln N → "
            f"<b>{dims['limit']}</b>. Johnson–Lindenstrauss at ε = {eps:.2f}: k ≥ <b>{n_jl:,}</b>. "
            f"Common sizes above the exact bound: {', '.join(map(str, enough)) or 'none'}.{other}")


@functools.lru_cache(maxsize=8)
def mc_grid(samples: int):
    """Monte Carlo h_n / n and its standard error at MC_DIMS (seed 0), cached per sample size."""
    g = torch.Generator().manual_seed(0)
    dims = torch.tensor(MC_DIMS)
    est, se = em.entropy_gap_mc(dims, samples, generator=g, dtype=torch.float32)  # fast draws
    return (est / dims).numpy(), (se / dims).numpy()


@functools.lru_cache(maxsize=64)
def pair_cosines(n: int, samples: int):
    """Cosines of random pairs in R^n for the histogram and the rug: at most about 10^5 Gaussian
    draws (2 n per pair), in numpy, whose single-threaded loops stay fast on a busy 2-core CPU
    where torch would wake its intra-op threads for these ~10^5-element reductions."""
    used = min(samples, max(2, 50_000 // n))
    rng = np.random.default_rng(1)
    u = rng.standard_normal((used, n), dtype=np.float32)  # (used, n)
    v = rng.standard_normal((used, n), dtype=np.float32)
    dot = lambda a, b: np.einsum("ij,ij->i", a, b, dtype=np.float64)  # noqa: E731
    return dot(u, v) / np.sqrt(dot(u, u) * dot(v, v))


class EntropyCoefficientFigure(InteractiveFigure):
    """Left: h_n / n by integration and by Monte Carlo, against n. Right: where p_n and q_n live."""

    controls = {
        "n": LogSlider(2, 1e5, 64, integer=True, label="dimension n"),
        "samples": Choice([100, 1000, 10_000, 100_000], 10_000, label="Monte Carlo pairs S"),
    }
    figsize = (11.0, 4.4)

    def build(self):
        ax, ax_d = self.fig.subplots(1, 2)
        self.ax, self.ax_d = ax, ax_d
        c = em.entropy_coefficient_limit()
        grid = np.unique(np.round(np.logspace(math.log10(2), 5, 400)))
        coef = em.entropy_coefficient(torch.from_numpy(grid)).numpy()
        ax.axhline(c, color="C1", lw=1.2, ls="--", label=f"limit −½ log φ = {c:.4f}")
        ax.axhline(-em.ARTICLE_COEFFICIENT, color="k", lw=1, ls=":", label="article: −0.24")
        ax.plot(grid, c + em.entropy_gap_offset() / grid, color="C4", lw=1, ls="-.",
                label="two-term Laplace $c + d/n$")
        ax.plot(grid, coef, color="C0", lw=2, label="integral $h_n/n$")
        (self.floor,) = ax.plot([], [], color="0.5", lw=1, ls="--", label="MC floor $-\\log S / n$")
        self.bars = LineCollection([], colors="C3", linewidths=1.2)
        ax.add_collection(self.bars)
        (self.mc,) = ax.plot([], [], "o", color="C3", ms=4, label="Monte Carlo ± 2 s.e.")
        self.n_mark = ax.axvline(64, color="0.3", lw=0.8)
        (self.n_dot,) = ax.plot([], [], "o", color="C0", ms=6, zorder=5)
        ax.set(xscale="log", xlim=(2, 1e5), ylim=(-0.30, 0.005), xlabel="dimension n",
               ylabel="$h_n / n$", title="$h_n/n$: integral, Monte Carlo and the limit")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=7.5, ncol=3, frameon=False)

        self.edges = np.linspace(-1, 1, 81)
        (self.hist,) = ax_d.plot([], [], color="0.55", lw=1, drawstyle="steps-mid",
                                 label="sampled pairs (histogram, rug)")
        (self.rug,) = ax_d.plot([], [], "|", color="0.3", ms=8, mew=0.6)  # one marker per sample
        (self.p_line,) = ax_d.plot([], [], color="C0", lw=2, label="$p_n$: cosine of a random pair")
        (self.q_line,) = ax_d.plot([], [], color="C3", lw=2,
                                   label="$q_n \\propto p_n e^{n\\eta}$: where $E[e^{n\\eta}]$ lives")
        ax_d.axvline((math.sqrt(5) - 1) / 2, color="C1", lw=0.8, ls="--")
        top = ax_d.secondary_xaxis("top")  # a static label for the limit of the peak of q_n
        top.set_xticks([(math.sqrt(5) - 1) / 2], ["$1/\\varphi$"], fontsize=8, color="C1")
        top.tick_params(length=2)
        ax_d.set(xlim=(-1, 1), ylim=(0, 1.1), xlabel="$\\eta = \\cos\\theta$",
                 ylabel="density / its maximum", title="where pairs are, where the expectation is")
        ax_d.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=7.5, ncol=2, frameon=False)

    def draw(self, n, samples):
        est, se = mc_grid(samples)
        x = np.asarray(MC_DIMS, dtype=float)
        self.mc.set_data(x, est)
        self.bars.set_segments([np.array([[xi, e - 2 * s], [xi, e + 2 * s]]) for xi, e, s in zip(x, est, se)])
        fx = np.logspace(math.log10(2), 5, 200)
        self.floor.set_data(fx, -math.log(samples) / fx)
        h = em.entropy_gap(n)
        self.n_mark.set_xdata([n, n])
        self.n_dot.set_data([n], [h / n])

        # densities on a grid that resolves both spikes (width ~ 1/sqrt(n))
        eta_q = 2 * n / ((n - 2) + math.sqrt((n - 2) ** 2 + 4 * n * n))  # peak of the integrand
        w = 10 / math.sqrt(n)
        grid = np.unique(np.clip(np.concatenate([
            np.linspace(-1, 1, 801), np.linspace(-w, w, 301), np.linspace(eta_q - w, eta_q + w, 301)]),
            -1 + 1e-9, 1 - 1e-9))
        log_p, log_q = em.cosine_log_densities(torch.from_numpy(grid), n)
        # scale by the maximum inside |eta| <= 0.9: for n = 2, 3 the densities grow towards +-1
        inner = np.abs(grid) <= 0.9
        log_p, log_q = log_p.numpy(), log_q.numpy()
        self.p_line.set_data(grid, np.exp(log_p - log_p[inner].max()))
        self.q_line.set_data(grid, np.exp(np.minimum(log_q - log_q[inner].max(), 5.0)))
        eta = pair_cosines(n, samples)
        counts, _ = np.histogram(eta, bins=self.edges)
        centres = 0.5 * (self.edges[1:] + self.edges[:-1])
        density = counts / (len(eta) * np.diff(self.edges))  # on the same scale as the p_n curve
        self.hist.set_data(centres, np.minimum(density * math.exp(-log_p[inner].max()), 5.0))
        self.rug.set_data(eta[:200], np.full(min(len(eta), 200), 0.025))  # the first 200 samples

        kl = -h
        self.readout = (
            f"n = {n:,}: integral h<sub>n</sub> = {h:.4f}, h<sub>n</sub>/n = <b>{h / n:.5f}</b> "
            f"(limit {em.entropy_coefficient_limit():.5f}); histogram of {len(eta):,} sampled pairs. "
            f"KL(q‖p) = −h<sub>n</sub> = {kl:.1f} nats: sampling needs about e<sup>{kl:.1f}</sup> ≈ "
            f"10<sup>{kl / math.log(10):.1f}</sup> pairs; N words give N² pairs, so n is just enough "
            f"for N ≈ e<sup>−h<sub>n</sub>/2</sup> = 10<sup>{kl / 2 / math.log(10):.2f}</sup> words.")
