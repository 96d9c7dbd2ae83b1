"""Lesson 08, the step figures: the embedding dimension n > 8.33 log N, and why h_n / n -> -0.2406."""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.transforms import blended_transform_factory

from theory_lib import embedding as em
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider
from theory_lib.figures.style import PlainLogFormatter, nice_ceil, nice_floor, step_outline

COMMON_DIMS = (64, 100, 128, 256, 300)
ARTICLE = 2 / em.ARTICLE_COEFFICIENT  # 8.33
LIMIT = 2 / -em.entropy_coefficient_limit()  # 8.312
BASES = {"e (natural, the article's)": math.e, "2": 2.0, "10": 10.0}
# where the Monte Carlo points are drawn: across the whole n axis
MC_DIMS = (2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 256, 1000, 10_000, 100_000)
HIST_BIN = 0.025  # histogram bins: this wide, or a quarter of the s.d. 1/sqrt(n) when narrower
DENSITY_TOPS = (1.5, 3, 5)  # y limits of the density panel, bracketed (coarse: small S is noisy)


def _bracket(lo: float, hi: float, step: float) -> tuple[float, float]:
    """Linear axis limits around [lo, hi] on multiples of ``step``, with a little room."""
    pad = 0.02 * step
    return step * math.floor((lo - pad) / step), step * math.ceil((hi + pad) / step)


def _compare(a: float, label: str, b: float, fmt: str = ".3g") -> str:
    """'a op label = b' with both numbers as printed and the operator they make true."""
    sa, sb = format(a, fmt), format(b, fmt)
    x, y = float(sa), float(sb)
    return f"{sa} {'&lt;' if x < y else '&gt;' if x > y else '='} {label} = {sb}"


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
    """Left: the bound against N (article, exact, limit, other log bases, JL). Right: H(n)."""

    controls = {
        "N": LogSlider(
            1e3, 1e8, 1e5, integer=True, label="vocabulary size N", named=(1000, 10_000, 100_000, 5_000_000)
        ),
        "base": Choice(list(BASES), "e (natural, the article's)", label="log in 8.33·log N"),
        "eps": Slider(0.1, 0.9, 0.5, step=0.01, label="JL distortion ε", named=(0.1, 0.3, 0.5, 0.9)),
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
            self.fig.text(
                1.01, d * (0.93 if d == 256 else 1.0), str(d), transform=at_right, fontsize=7, va="center", color="0.45"
            )
        (self.jl_line,) = ax.plot(
            [], [], color="C2", lw=1.6, marker="^", ms=4, markevery=24, label=self.tr("JL, $4\\ln N/(ε^2/2-ε^3/3)$")
        )
        # every reading of "log" stays drawn; the chosen one is drawn thick
        self.base_lines = {
            "e (natural, the article's)": ax.plot(
                self.grid, ARTICLE * np.log(self.grid), color="k", ls=":", label=self.tr("article: 8.33 ln N")
            )[0],
            "2": ax.plot(self.grid, ARTICLE * np.log2(self.grid), color="C3", ls="-.", label="8.33·log$_2$ N")[0],
            "10": ax.plot(
                self.grid,
                ARTICLE * np.log10(self.grid),
                color="C5",
                ls=(0, (5, 1.5, 1, 1.5, 1, 1.5)),
                label="8.33·log$_{10}$ N",
            )[0],
        }
        ax.plot(self.grid, exact_threshold(two_log), color="C0", lw=2, label=self.tr("exact $h_n$: $2\\ln N+h_n=0$"))
        ax.plot(self.grid, LIMIT * np.log(self.grid), color="C1", lw=1.2, ls="--", label=self.tr("limit: 8.31 ln N"))
        self.n_mark = ax.axvline(1e5, color="0.3", lw=0.8)
        (self.points,) = ax.plot([], [], "o", ms=4, color="k", zorder=5)
        ax.set(
            xscale="log",
            yscale="log",
            xlim=(1e3, 1e8),
            xlabel=self.tr("vocabulary size N"),
            ylabel=self.tr("dimension n"),
            title=self.tr("smallest dimension against vocabulary size"),
        )
        ax.yaxis.set_major_formatter(PlainLogFormatter())
        ax.yaxis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=7.5, ncol=3, frameon=False)
        self._fixed_low = min(line.get_ydata().min() for line in self.base_lines.values())

        dims, h = gap_table()
        self.dims, self.h = dims[dims <= 320], h[dims <= 320]
        ax_h.axhspan(-1e4, 0, color="C2", alpha=0.07, lw=0, label=self.tr("H < 0: n holds N words with room to spare"))
        ax_h.axhline(0, color="0.3", lw=0.8)
        for d in COMMON_DIMS:
            ax_h.axvline(d, color="0.75", lw=0.8, ls=":", zorder=0)
        top = ax_h.secondary_xaxis("top")
        top.set_xticks(COMMON_DIMS, [str(d) for d in COMMON_DIMS], fontsize=7, color="0.45")
        top.tick_params(length=2)
        (self.h_line,) = ax_h.plot([], [], color="C0", lw=2, label=self.tr("$2\\ln N + h_n$ (exact)"))
        (self.lin_line,) = ax_h.plot([], [], color="k", lw=1, ls=":", label=self.tr("$2\\ln N - 0.24\\,n$ (article)"))
        (self.cross,) = ax_h.plot([], [], "o", color="C0", ms=6)
        self.cross_text = ax_h.text(0, 0, "", fontsize=8, color="C0", ha="left", va="bottom")
        ax_h.set(xlim=(0, 320), xlabel=self.tr("dimension n"), ylabel=self.tr("entropy H (nats)"))
        ax_h.set_title(self.tr("$H \\approx \\log N^2 + h_n$ for this N"), pad=12)
        ax_h.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=7.5, ncol=2, frameon=False)

    def draw(self, N, base, eps):
        two_log = 2 * math.log(N)
        b = BASES[base]
        jl_k = 4 * np.log(self.grid) / (eps**2 / 2 - eps**3 / 3)
        self.jl_line.set_data(self.grid, jl_k)
        for name, line in self.base_lines.items():
            line.set_linewidth(2.2 if name == base else 1.0)
        self.n_mark.set_xdata([N, N])
        n_article = ARTICLE * math.log(N)
        n_exact = float(exact_threshold(two_log))
        n_base = ARTICLE * math.log(N) / math.log(b)
        n_jl = em.jl_dimension(N, eps)
        self.points.set_data([N] * 4, [n_article, n_exact, n_base, n_jl])
        # every line is drawn over the whole N range: the limits fit the lowest (log10) and the JL line
        self.ax.set_ylim(nice_floor(0.9 * self._fixed_low), nice_ceil(1.1 * jl_k.max()))

        h_curve = two_log + self.h
        lin = two_log - em.ARTICLE_COEFFICIENT * self.dims
        self.h_line.set_data(self.dims, h_curve)
        self.lin_line.set_data(self.dims, lin)
        self.cross.set_data([n_exact], [0.0])
        self.cross_text.set_position((n_exact + 6, 2))
        self.cross_text.set_text(f"n ≈ {n_exact:.1f}")
        self.ax_h.set_ylim(*_bracket(min(h_curve.min(), lin.min()), max(h_curve.max(), lin.max(), 8), 10))

        table_n, table_h = gap_table()
        dims = {c: em.min_embedding_dim(N, c) for c in (0.24, "limit")}
        # same criterion as em.min_embedding_dim(N, "exact"), read off the precomputed table
        dims["exact"] = int(table_n[np.searchsorted(-table_h, two_log, side="right")])
        enough = [d for d in COMMON_DIMS if d >= dims["exact"]]
        other = (
            ""
            if b == math.e
            else self.tr(
                "<br>Reading log as log<sub>{base}</sub>: 8.33·log<sub>{base}</sub> N = {n_base:.1f} "
                "(×{factor:.3f} of the natural-log value)."
            ).format(base=base, n_base=n_base, factor=1 / math.log(b))
        )
        self.readout = self.tr(
            "N = {N:,.0f}: article 8.33·ln N = {n_article:.1f} → n ≥ <b>{article}</b>; exact h<sub>n</sub> → "
            "<b>{exact}</b>; Laplace limit 8.312·ln N → <b>{limit}</b>. Johnson–Lindenstrauss at ε = {eps:.2f}: "
            "k ≥ <b>{jl:,}</b>. Common sizes above the exact bound: {enough}.{other}"
        ).format(
            N=N,
            n_article=n_article,
            article=dims[0.24],
            exact=dims["exact"],
            limit=dims["limit"],
            eps=eps,
            jl=n_jl,
            enough=", ".join(map(str, enough)) or self.tr("none"),
            other=other,
        )


@functools.lru_cache(maxsize=8)
def mc_grid(samples: int):
    """Monte Carlo h_n / n and its standard error at MC_DIMS (seed 0), cached per sample size:
    `samples` cosines per dimension, drawn from their exact law (O(samples) whatever n)."""
    g = torch.Generator().manual_seed(0)
    dims = torch.tensor(MC_DIMS)
    est, se = em.entropy_gap_mc(dims, samples, generator=g, method="law")
    return (est / dims).numpy(), (se / dims).numpy()


@functools.lru_cache(maxsize=64)
def pair_cosines(n: int, samples: int):
    """`samples` cosines of random pairs in R^n (seed n, all of them, for any n: drawn from their
    exact law) and the Monte Carlo h_n from them: (eta, estimate, stderr)."""
    eta = em.sample_cosines(n, samples, generator=torch.Generator().manual_seed(n), method="law")
    est, se = em.entropy_gap_from_cosines(eta, n)
    return eta.numpy(), est, se


class EntropyCoefficientFigure(InteractiveFigure):
    """Left: h_n / n by integration and by Monte Carlo, against n. Right: where p_n and q_n live."""

    controls = {
        "n": LogSlider(2, 1e5, 64, integer=True, label="dimension n", named=(10, 32, 100, 128, 256, 300, 1000, 10_000)),
        "samples": Choice([100, 1000, 10_000, 100_000], 10_000, label="Monte Carlo pairs S"),
    }
    figsize = (11.0, 4.4)

    def build(self):
        ax, ax_d = self.fig.subplots(1, 2)
        self.ax, self.ax_d = ax, ax_d
        c = em.entropy_coefficient_limit()
        grid = np.unique(np.round(np.logspace(math.log10(2), 5, 400)))
        coef = em.entropy_coefficient(torch.from_numpy(grid)).numpy()
        self._coef_range = (coef.min(), coef.max())
        ax.axhline(c, color="C1", lw=1.2, ls="--", label=self.tr("limit −½ log φ = {c:.4f}").format(c=c))
        ax.axhline(-em.ARTICLE_COEFFICIENT, color="k", lw=1, ls=":", label=self.tr("article: −0.24"))
        ax.plot(
            grid,
            c + em.entropy_gap_offset() / grid,
            color="C4",
            lw=1,
            ls="-.",
            label=self.tr("two-term Laplace $c + d/n$"),
        )
        ax.plot(grid, coef, color="C0", lw=2, label=self.tr("integral $h_n/n$"))
        (self.floor,) = ax.plot([], [], color="0.5", lw=1, ls=(0, (8, 3)), label=self.tr("MC floor $-\\log S / n$"))
        self.bars = LineCollection([], colors="C3", linewidths=1.2)
        ax.add_collection(self.bars)
        (self.mc,) = ax.plot([], [], "o", color="C3", ms=4, label=self.tr("Monte Carlo ± 2 s.e."))
        (self.mc_bar,) = ax.plot([], [], color="C3", lw=2.4, zorder=6)
        (self.mc_n,) = ax.plot(
            [],
            [],
            "D",
            color="C3",
            mec="k",
            mew=0.8,
            ms=7,
            zorder=6,
            label=self.tr("Monte Carlo at this n (the histogram's pairs)"),
        )
        self.n_mark = ax.axvline(64, color="0.3", lw=0.8)
        (self.n_dot,) = ax.plot([], [], "o", color="C0", ms=6, zorder=5)
        ax.set(
            xscale="log",
            xlim=(1.7, 1.2e5),
            xlabel=self.tr("dimension n"),  # n = 2 and 10^5 off the frame
            ylabel="$h_n / n$",
            title=self.tr("$h_n/n$: integral, Monte Carlo and the limit"),
        )
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=7.5, ncol=3, frameon=False)

        (self.hist,) = ax_d.plot([], [], color="0.45", lw=1, label=self.tr("the S sampled pairs (histogram, rug)"))
        (self.rug,) = ax_d.plot([], [], "|", color="0.3", ms=8, mew=0.6)  # one marker per sample
        (self.p_line,) = ax_d.plot([], [], color="C0", lw=2, label=self.tr("$p_n$: cosine of a random pair"))
        (self.q_line,) = ax_d.plot(
            [],
            [],
            color="C3",
            lw=2,
            ls="--",
            label=self.tr("$q_n \\propto p_n e^{n\\eta}$: where $E[e^{n\\eta}]$ lives"),
        )
        ax_d.axvline((math.sqrt(5) - 1) / 2, color="C1", lw=0.8, ls="--")
        top = ax_d.secondary_xaxis("top")  # a static label for the limit of the peak of q_n
        top.set_xticks([(math.sqrt(5) - 1) / 2], ["$1/\\varphi$"], fontsize=8, color="C1")
        top.tick_params(length=2)
        ax_d.set(
            xlim=(-1, 1), xlabel="$\\eta = \\cos\\theta$", title=self.tr("where pairs are, where the expectation is")
        )
        ax_d.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), fontsize=7.5, ncol=2, frameon=False)

    def draw(self, n, samples):
        est, se = mc_grid(samples)
        x = np.asarray(MC_DIMS, dtype=float)
        self.mc.set_data(x, est)
        self.bars.set_segments(
            [np.array([[xi, e - 2 * s], [xi, e + 2 * s]]) for xi, e, s in zip(x, est, se, strict=True)]
        )
        fx = np.logspace(math.log10(2), 5, 200)
        self.floor.set_data(fx, -math.log(samples) / fx)
        h = em.entropy_gap(n)
        self.n_mark.set_xdata([n, n])
        self.n_dot.set_data([n], [h / n])
        eta, mc_h, mc_se = pair_cosines(n, samples)  # the histogram's S pairs, and h_n from them
        self.mc_n.set_data([n], [mc_h / n])
        self.mc_bar.set_data([n, n], [(mc_h - 2 * mc_se) / n, (mc_h + 2 * mc_se) / n])
        lo = min(self._coef_range[0], (est - 2 * se).min(), (mc_h - 2 * mc_se) / n)
        hi = max(0.0, (est + 2 * se).max(), (mc_h + 2 * mc_se) / n)
        self.ax.set_ylim(*_bracket(lo, hi, 0.05))

        # densities on a grid that resolves both spikes (width ~ 1/sqrt(n))
        eta_q = 2 * n / ((n - 2) + math.sqrt((n - 2) ** 2 + 4 * n * n))  # peak of the integrand
        w = 10 / math.sqrt(n)
        grid = np.unique(
            np.clip(
                np.concatenate(
                    [np.linspace(-1, 1, 801), np.linspace(-w, w, 301), np.linspace(eta_q - w, eta_q + w, 301)]
                ),
                -1 + 1e-9,
                1 - 1e-9,
            )
        )
        log_p, log_q = em.cosine_log_densities(torch.from_numpy(grid), n)
        log_p, log_q = log_p.numpy(), log_q.numpy()
        # each curve over its maximum; for n = 2 both grow without bound at +-1: over the maximum
        # on |eta| <= 0.9, and cut by the top of the axes
        scale = np.abs(grid) <= 0.9 if n == 2 else np.ones_like(grid, dtype=bool)
        p_max, q_max = log_p[scale].max(), log_q[scale].max()
        self.p_line.set_data(grid, np.exp(np.minimum(log_p - p_max, 5.0)))
        self.q_line.set_data(grid, np.exp(np.minimum(log_q - q_max, 5.0)))
        # bins resolve the spike of p_n (s.d. 1/sqrt(n)): HIST_BIN or a quarter s.d. wide, wider
        # for small S so that the peak bin expects about 40 pairs (S w sqrt(n / 2 pi) = 40)
        sd = 1 / math.sqrt(n)
        width = max(min(HIST_BIN, sd / 4), min(100 * sd / samples, sd, 0.1))
        edges = width * np.arange(math.floor(eta.min() / width), math.ceil(eta.max() / width) + 1)
        edges = np.clip(edges, -1.0, 1.0)
        counts, _ = np.histogram(eta, bins=edges)
        density = counts / (len(eta) * np.diff(edges)) * math.exp(-p_max)  # on the scale of p_n
        outline = step_outline(edges, np.minimum(density, 5.0))
        self.hist.set_data(outline[:, 0], outline[:, 1])
        self.rug.set_data(eta[:200], np.full(min(len(eta), 200), 0.025))  # the first 200 samples
        self.ax_d.set_ylim(0, nice_ceil(1.05 * max(1.0, min(density.max(), 5.0)), DENSITY_TOPS))
        self.ax_d.set_ylabel(
            self.tr("density / its maximum on |η| ≤ 0.9") if n == 2 else self.tr("density / its maximum")
        )

        kl = -h
        diff, two_se = abs(mc_h - h) / n, 2 * mc_se / n
        agree = float(format(diff, ".3g")) <= float(format(two_se, ".3g"))
        log_s = math.log(samples)
        self.readout = self.tr(
            "n = {n:,}: integral h<sub>n</sub> = {h:.4f}, h<sub>n</sub>/n = <b>{coef:.5f}</b> (limit {limit:.5f}). "
            "Monte Carlo from the histogram's S = {samples:,} pairs: h<sub>n</sub>/n ≈ <b>{mc:.4g}</b>, "
            "|MC − integral| = {diff}: {agree}. KL(q‖p) = −h<sub>n</sub> = {kl:.1f} nats: sampling needs about "
            "e<sup>{kl:.1f}</sup> ≈ 10<sup>{kl10:.1f}</sup> pairs, and log S = {log_s}{floor}. N words give N² pairs, "
            "so n is just enough for N ≈ e<sup>−h<sub>n</sub>/2</sup> = 10<sup>{words:.2f}</sup> words."
        ).format(
            n=n,
            h=h,
            coef=h / n,
            limit=em.entropy_coefficient_limit(),
            samples=samples,
            mc=mc_h / n,
            diff=_compare(diff, "2 s.e.", two_se),
            agree=self.tr("agrees") if agree else self.tr("off by more than its error bar"),
            kl=kl,
            kl10=kl / math.log(10),
            log_s=_compare(log_s, "KL", kl),
            floor=self.tr(", so the estimate sits near the floor −log S") if log_s < kl else "",
            words=kl / 2 / math.log(10),
        )
