"""Lesson 03, the synthesis figure: W^T W of a random layer, its off-diagonal entries, and norms through depth."""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.patches import Polygon
from matplotlib.ticker import FormatStrFormatter, MaxNLocator

from theory_lib import angles as ag
from theory_lib._checks import default_device
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, LogSlider, Slider
from theory_lib.figures.style import PlainLogFormatter, nice_ceil, nice_floor, step_outline
from theory_lib.geometric_init import DISTRIBUTIONS, _random_matrix

DEPTH_MAX = 100
N_MAX = 256
INPUTS = 16  # input vectors pushed through the stack
BINS = 40
HIST_PAIRS = 20_000  # off-diagonal entries (j < k) the histogram pools, over as many layers as it takes
WIDTHS = (4, 8, 16, 32, 64, 256)  # widths the lesson names (128 is the default)
FINE = (1, 2, 3, 5)  # mantissas of bracketed y limits
DEPTH_STEPS = (1, 1.5, 2, 3, 5, 7)  # x limits of the norms panel: the depth, bracketed
KURTOSIS = {"normal": 3.0, "uniform": 9.0 / 5.0, "rademacher": 1.0}  # E[w^4] / E[w^2]^2
ACTIVATIONS = {"linear": lambda z: z, "tanh": torch.tanh, "relu": torch.relu}
# E||act(W x)||^2 / ||x||^2 for W with entries of variance g^2/n: g^2 (linear), g^2/2 (relu)
NORM_GAIN = {"linear": 1.0, "relu": 0.5}


def expected_error(n: int, distribution: str, gain: float = 1.0) -> float:
    """E mean((W^T W - I)^2) for n x n W with entries of variance g^2/n:
    [g^4 (kappa + n - 2) + n (g^2 - 1)^2] / n^2 (the lesson's derivation, with a gain)."""
    g2 = gain * gain
    return (g2 * g2 * (KURTOSIS[distribution] + n - 2) + n * (g2 - 1) ** 2) / n**2


@functools.lru_cache(maxsize=4)
def _stack(n: int, distribution: str) -> torch.Tensor:
    """DEPTH_MAX matrices (n x n) with unit-variance entries, drawn once per (n, distribution).

    Stored in float32 (26 MB at n = 256, so the three distributions fit in the cache together);
    the forward pass casts each layer to float64.
    """
    device = default_device()
    g = torch.Generator(device=device).manual_seed(0)
    return _random_matrix(n, n, distribution, batch=(DEPTH_MAX,), generator=g, device=device, dtype=torch.float32)


def hist_layers(n: int) -> int:
    """Layers whose W^T W the histogram pools: enough for HIST_PAIRS entries j < k (all 100 at n = 2,
    where one layer has a single pair), one from n = 201 on."""
    return min(DEPTH_MAX, math.ceil(HIST_PAIRS / (n * (n - 1) // 2)))


@functools.lru_cache(maxsize=8)
def _gram(n: int, distribution: str):
    """W^T W of the first layer at gain 1 (for the heat map, its sum of squares and trace), and the
    sorted entries j < k of W^T W pooled over the first ``hist_layers(n)`` layers (the histogram)."""
    w = _stack(n, distribution)[: hist_layers(n)].double() / math.sqrt(n)  # (k, n, n), variance 1/n
    grams = (w.transpose(1, 2) @ w).cpu().numpy()  # (k, n, n)
    j, k = np.triu_indices(n, 1)
    off = np.sort(grams[:, j, k].ravel())  # (k n(n-1)/2,) sorted: histograms by binary search
    gram = grams[0]
    return gram, off, float((gram**2).sum()), float(np.trace(gram))


def log_limits(lo: float, hi: float) -> tuple[float, float]:
    """Limits of a log axis around data in [lo, hi] (0 < lo <= hi), in brackets so that most slider
    moves keep them: 1-2-3-5 steps while the data spans under two decades, whole decades
    up to twelve, five decades beyond; padded so that no point sits on the frame."""
    a, b = math.log10(lo), math.log10(hi)
    pad = 0.04 * max(b - a, 0.3)
    a, b = a - pad, b + pad
    if b - a <= 2:
        return nice_floor(10.0**a, FINE), nice_ceil(10.0**b, FINE)
    q = 1 if b - a <= 12 else 5  # decades per bracket
    return 10.0 ** (q * math.floor(a / q)), 10.0 ** (q * math.ceil(b / q))


@functools.lru_cache(maxsize=64)
def norm_ratios(n: int, distribution: str, activation: str, gain: float) -> np.ndarray:
    """||x_l|| / ||x_0|| for l = 0..DEPTH_MAX and INPUTS inputs, x_{l+1} = act((g/sqrt(n)) W_l x_l).

    float64 throughout: gain 3 over 100 linear layers is 3^100 ~ 5e47, still finite.
    """
    stack = _stack(n, distribution)
    g = torch.Generator(device=stack.device).manual_seed(1)
    x = torch.randn(n, INPUTS, generator=g, device=stack.device, dtype=torch.float64)  # (n, B)
    act = ACTIVATIONS[activation]
    scale = gain / math.sqrt(n)
    norms = [torch.linalg.vector_norm(x, dim=0)]
    for w in stack:  # (n, n) each
        x = act(scale * (w.double() @ x))  # (n, B)
        norms.append(torch.linalg.vector_norm(x, dim=0))
    norms = torch.stack(norms)  # (DEPTH_MAX + 1, B)
    return (norms / norms[0]).cpu().numpy()


def log_ratio_moments(n: int, gain: float, layers: np.ndarray):
    """Mean and s.d. of log(||x_l|| / ||x_0||) through l linear layers with N(0, g^2/n) entries.

    Each layer multiplies ||x||^2 by g^2 chi^2_n / n, independently of x and of the other layers,
    and E log chi^2_n = psi(n/2) + log 2, Var log chi^2_n = psi'(n/2). Halve for the norm:
    the typical path drifts down like exp(-l/(2n)) even when E||x_l||^2 = ||x_0||^2.
    """
    half_n = torch.tensor(n / 2, dtype=torch.float64)
    drift = 0.5 * (torch.special.digamma(half_n).item() + math.log(2 / n)) + math.log(gain)
    spread = 0.5 * math.sqrt(torch.special.polygamma(1, half_n).item())
    return drift * layers, spread * np.sqrt(layers)


class GeometricInitFigure(InteractiveFigure):
    """W^T W as a heat map, its off-diagonal entries against lesson 02's law, norms through depth."""

    controls = {
        "n": LogSlider(2, N_MAX, 128, integer=True, label="width n", named=WIDTHS),
        "depth": Slider(1, DEPTH_MAX, 50, integer=True, label="depth L", named=(40, 100)),
        "distribution": Choice(list(DISTRIBUTIONS), "normal", label="entries"),
        "activation": Choice(list(ACTIVATIONS), "linear", label="activation"),
        "gain": Slider(0.5, 3.0, 1.0, step=0.01, label="gain g (std = g/√n)", named=(1.1, 1.41, 1.42)),
    }
    figsize = (12.0, 4.2)

    def build(self):
        ax_w, ax_h, ax_n = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [0.9, 1, 1.15]})
        self.ax_w, self.ax_h, self.ax_n = ax_w, ax_h, ax_n
        tr = self.tr

        # 1. heat map of W^T W (fixed extent, so n can change without touching the axes)
        self.image = ax_w.imshow(
            np.zeros((2, 2, 4), dtype=np.uint8), extent=(0, 1, 1, 0), interpolation="nearest", aspect="equal"
        )
        self._image_key = None
        ax_w.set(xticks=[], yticks=[], title=tr(r"$g^2\,W^\top W$ of one layer ($\pm 2$)"))
        # the image is colour-mapped in draw() with this fixed scale, which also labels the bar
        self._scale = ScalarMappable(norm=Normalize(-2, 2), cmap="RdBu_r")
        self.fig.colorbar(self._scale, ax=ax_w, fraction=0.046, pad=0.03, ticks=[-2, -1, 0, 1, 2])

        # 2. off-diagonal entries of W^T W / g^2: nearly the cosines of lesson 02 (the gain only
        #    scales lengths, not angles, so this panel does not depend on it)
        self.hist = Polygon(
            np.zeros((2, 2)), closed=True, color="C0", alpha=0.45, lw=0, label=tr("entries $j < k$ (histogram)")
        )
        ax_h.add_patch(self.hist)
        (self.hist_edge,) = ax_h.plot([], [], color="C0", lw=0.8, alpha=0.8)
        (self.normal,) = ax_h.plot([], [], color="C3", lw=1.5, label=r"$N(0, 1/n)$")
        (self.cosine,) = ax_h.plot([], [], "--", color="k", lw=1.2, label=tr(r"$\cos\theta$, θ as in lesson 02"))
        ax_h.set(xlabel=r"$(W^\top W)_{jk} / g^2$, $j \neq k$", ylabel=tr("density"))
        ax_h.set_title(tr("columns are almost orthogonal"), fontsize=10)
        # ticks of one width at every n (0.00 .. 2.00): the layout, fixed at the first draw, has room for them
        ax_h.yaxis.set_major_formatter(FormatStrFormatter("%.2f"))
        # the sample size is data, not a title: a text artist is blitted, a new title costs a full draw
        self.pairs_text = ax_h.text(0.02, 0.97, "", transform=ax_h.transAxes, va="top", fontsize=8, color="0.25")
        ax_h.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), fontsize=8, ncol=2, frameon=False)

        # 3. norms through depth; the legend names only the overlays drawn (rebuilt in draw)
        self.paths = [ax_n.plot([], [], color="0.6", lw=0.7)[0] for _ in range(INPUTS)]
        (self.rms,) = ax_n.plot([], [], color="C0", lw=2.2, label=tr("RMS over {inputs} inputs").format(inputs=INPUTS))
        (self.theory,) = ax_n.plot([], [], "--", color="C3", lw=1.5, label=tr(r"RMS theory $(g\sqrt{c})^l$"))
        self.typical = [
            ax_n.plot([], [], ":", color="C3", lw=1.3, label=label)[0]
            for label in (tr("typical path ±1 s.d. (step 6)"), None)
        ]
        ax_n.axhline(1.0, color="k", lw=0.8, ls=":")
        ax_n.set(yscale="log", xlabel=tr("layer l"), ylabel=r"$\|x_l\| / \|x_0\|$")
        ax_n.xaxis.set_major_locator(MaxNLocator(integer=True))  # layers: 0, 1, 2 (never "2.00")
        ax_n.yaxis.set_major_formatter(PlainLogFormatter())
        ax_n.yaxis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False, minor_thresholds=(2, 0.5)))
        self._legend_key = None

    def _norm_legend(self, drawn):
        """The norms panel's legend, with an entry for each overlay that is drawn (static: it
        changes only with the activation or the distribution, which also change the title)."""
        if drawn != self._legend_key:
            handles = [self.rms] + [h for h, on in zip((self.theory, self.typical[0]), drawn, strict=True) if on]
            self.ax_n.legend(
                handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.17), fontsize=8, ncol=2, frameon=False
            )
            self._legend_key = drawn

    def draw(self, n, depth, distribution, activation, gain):
        g2 = gain * gain
        gram, off, sum_sq, trace = _gram(n, distribution)  # at gain 1; g^2 W^T W is drawn
        if self._image_key != (n, distribution, gain):  # colour-mapped here: RGBA draws ~2x faster
            self.image.set_data(self._scale.to_rgba(g2 * gram, bytes=True))  # (n, n, 4) uint8
            self._image_key = (n, distribution, gain)

        half = nice_ceil(4 / math.sqrt(n))  # quantised x range: 4 s.d. of N(0, 1/n)
        edges = np.linspace(-half, half, BINS + 1)
        counts = np.diff(np.searchsorted(off, edges))  # histogram by binary search in the sorted entries
        dens = counts / (off.size * (edges[1] - edges[0]))
        outline = step_outline(edges, dens)
        self.hist.set_xy(outline)
        self.hist_edge.set_data(outline[:, 0], outline[:, 1])
        grid = np.linspace(-half, half, 301)
        sd = 1 / math.sqrt(n)
        normal = np.exp(-0.5 * (grid / sd) ** 2) / (sd * math.sqrt(2 * math.pi))
        self.normal.set_data(grid, normal)
        edge = 1 - np.logspace(-6, -1, 16)  # towards +-1, where the law of n = 2 grows without bound
        inside = np.concatenate([grid, -edge, edge])
        inside = np.sort(inside[(np.abs(inside) < 1 - 1e-7) & (np.abs(inside) <= half)])  # on [-1, 1]
        self.cosine.set_data(inside, ag.cosine_pdf(torch.from_numpy(inside), n).numpy())
        self.ax_h.set_xlim(-half, half)
        # the histogram and the normal peak fit (the cosine law of n = 2 grows without bound at +-1)
        self.ax_h.set_ylim(0, nice_ceil(1.05 * max(dens.max(), normal.max()), FINE))
        layers_h = hist_layers(n)
        pooled = (
            self.tr("{pairs:,} pairs j < k\nfrom {layers} layers")
            if layers_h > 1
            else self.tr("{pairs:,} pairs j < k\nfrom {layers} layer")
        )
        self.pairs_text.set_text(pooled.format(pairs=off.size, layers=layers_h))

        ratios = norm_ratios(n, distribution, activation, round(gain, 6))[: depth + 1]  # (L+1, B)
        layers = np.arange(depth + 1)
        for line, col in zip(self.paths, ratios.T, strict=True):
            line.set_data(layers, col)
        rms = np.sqrt((ratios**2).mean(axis=1))
        self.rms.set_data(layers, rms)
        shown = [ratios, rms]
        has_theory = activation in NORM_GAIN
        if has_theory:
            theory = (gain * math.sqrt(NORM_GAIN[activation])) ** layers
            self.theory.set_data(layers, theory)
            shown.append(theory)
        else:
            self.theory.set_data([], [])
        has_typical = activation == "linear" and distribution == "normal"  # step 6's chi^2 law
        mean, spread = log_ratio_moments(n, gain, layers)
        for line, sign in zip(self.typical, (-1.0, 1.0), strict=True):
            if has_typical:
                band = np.exp(mean + sign * spread)
                line.set_data(layers, band)
                shown.append(band)
            else:
                line.set_data([], [])
        self._norm_legend((has_theory, has_typical))
        values = np.concatenate([np.ravel(v) for v in shown])
        values = values[np.isfinite(values) & (values > 0)]  # an input whose units all died is 0
        self.ax_n.set_ylim(*log_limits(values.min(), values.max()))
        self.ax_n.set_xlim(0, nice_ceil(depth, DEPTH_STEPS))
        title = self.tr("norms through {activation} layers, {distribution} entries")
        self.ax_n.set_title(title.format(activation=activation, distribution=distribution), fontsize=10)

        err = (g2 * g2 * sum_sq - 2 * g2 * trace + n) / n**2  # mean((g^2 G - I)^2), expanded
        dead = int((ratios[-1] == 0).sum())
        tr = self.tr
        theory = (
            tr("theory {value:.3g}").format(value=(gain * math.sqrt(NORM_GAIN[activation])) ** depth)
            if has_theory
            else tr("no closed form for tanh")
        )
        died = tr("; {dead} of {inputs} inputs died (all units zero)").format(dead=dead, inputs=INPUTS) if dead else ""
        self.readout = tr(
            "{n} × {n} layers, {distribution} entries of std g/√n = {std:.4g}. "
            "mean((WᵀW − I)²) = <b>{err:.4g}</b>, expected [g⁴(κ + n − 2) + n(g² − 1)²]/n² = "
            "{expected:.4g} (κ = {kappa:g}). "
            "After L = {depth} {activation} layers: RMS ‖x_L‖/‖x_0‖ = <b>{rms:.3g}</b> ({theory}){died}."
        ).format(
            n=n,
            distribution=distribution,
            std=gain / math.sqrt(n),
            err=err,
            expected=expected_error(n, distribution, gain),
            kappa=KURTOSIS[distribution],
            depth=depth,
            activation=activation,
            rms=rms[-1],
            theory=theory,
            died=died,
        )
