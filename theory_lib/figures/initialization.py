"""Lesson 03 figure: W^T W of a random layer, its off-diagonal entries, and norms through depth."""

from __future__ import annotations

import functools
import math

import numpy as np
import torch
from matplotlib.cm import ScalarMappable
from matplotlib.colors import Normalize
from matplotlib.patches import Polygon

from theory_lib import angles as ag
from theory_lib._checks import default_device
from theory_lib.figures.angles import _ladder, step_outline
from theory_lib.figures.base import Choice, InteractiveFigure, LogSlider, Slider
from theory_lib.initialization import DISTRIBUTIONS, _random_matrix

DEPTH_MAX = 100
N_MAX = 256
INPUTS = 16  # input vectors pushed through the stack
BINS = 40
KURTOSIS = {"normal": 3.0, "uniform": 9.0 / 5.0, "rademacher": 1.0}  # E[w^4] / E[w^2]^2
ACTIVATIONS = {"linear": lambda z: z, "tanh": torch.tanh, "relu": torch.relu}
# E||act(W x)||^2 / ||x||^2 for W with entries of variance g^2/n: g^2 (linear), g^2/2 (relu)
NORM_GAIN = {"linear": 1.0, "relu": 0.5}
RATIO_LIM = (1e-6, 1e6)


def expected_error(n: int, distribution: str, gain: float = 1.0) -> float:
    """E mean((W^T W - I)^2) for n x n W with entries of variance g^2/n:
    [g^4 (kappa + n - 2) + n (g^2 - 1)^2] / n^2 (the lesson's derivation, with a gain)."""
    g2 = gain * gain
    return (g2 * g2 * (KURTOSIS[distribution] + n - 2) + n * (g2 - 1) ** 2) / n ** 2


@functools.lru_cache(maxsize=4)
def _stack(n: int, distribution: str) -> torch.Tensor:
    """DEPTH_MAX matrices (n x n) with unit-variance entries, drawn once per (n, distribution).

    Stored in float32 (26 MB at n = 256, so the three distributions fit in the cache together);
    the forward pass casts each layer to float64.
    """
    device = default_device()
    g = torch.Generator(device=device).manual_seed(0)
    return _random_matrix(n, n, distribution, batch=(DEPTH_MAX,), generator=g, device=device,
                          dtype=torch.float32)


@functools.lru_cache(maxsize=8)
def _gram(n: int, distribution: str):
    """W^T W of the first layer at gain 1, its sorted off-diagonal entries, sum of squares and trace."""
    w = _stack(n, distribution)[0].double() / math.sqrt(n)  # first layer, entries of variance 1/n
    gram = (w.T @ w).cpu().numpy()  # (n, n)
    off = np.sort(gram[~np.eye(n, dtype=bool)])  # (n(n-1),) sorted: histograms by binary search
    return gram, off, float((gram ** 2).sum()), float(np.trace(gram))


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
        "n": LogSlider(2, N_MAX, 128, integer=True, label="width n"),
        "depth": Slider(1, DEPTH_MAX, 50, integer=True, label="depth L"),
        "distribution": Choice(list(DISTRIBUTIONS), "normal", label="entries"),
        "activation": Choice(list(ACTIVATIONS), "linear", label="activation"),
        "gain": Slider(0.5, 3.0, 1.0, step=0.01, label="gain g (std = g/√n)"),
    }
    figsize = (12.0, 4.2)

    def build(self):
        ax_w, ax_h, ax_n = self.fig.subplots(1, 3, gridspec_kw={"width_ratios": [0.9, 1, 1.15]})
        self.ax_w, self.ax_h, self.ax_n = ax_w, ax_h, ax_n

        # 1. heat map of W^T W (fixed extent, so n can change without touching the axes)
        self.image = ax_w.imshow(np.zeros((2, 2, 4), dtype=np.uint8), extent=(0, 1, 1, 0),
                                 interpolation="nearest", aspect="equal")
        self._image_key = None
        ax_w.set(xticks=[], yticks=[], title=r"$g^2\,W^\top W$ of one layer ($\pm 2$)")
        # the image is colour-mapped in draw() with this fixed scale, which also labels the bar
        self._scale = ScalarMappable(norm=Normalize(-2, 2), cmap="RdBu_r")
        self.fig.colorbar(self._scale, ax=ax_w, fraction=0.046, pad=0.03, ticks=[-2, -1, 0, 1, 2])

        # 2. off-diagonal entries of W^T W / g^2: nearly the cosines of lesson 02 (the gain only
        #    scales lengths, not angles, so this panel does not depend on it)
        self.hist = Polygon(np.zeros((2, 2)), closed=True, color="C0", alpha=0.45, lw=0,
                            label="off-diagonal entries")
        ax_h.add_patch(self.hist)
        (self.hist_edge,) = ax_h.plot([], [], color="C0", lw=0.8, alpha=0.8)
        (self.normal,) = ax_h.plot([], [], color="C3", lw=1.5, label=r"$N(0, 1/n)$")
        (self.cosine,) = ax_h.plot([], [], "--", color="k", lw=1.2, label=r"$\cos\theta$, θ as in lesson 02")
        ax_h.set(xlabel=r"$(W^\top W)_{jk} / g^2$, $j \neq k$", ylabel="density",
                 title="columns are almost orthogonal")
        ax_h.legend(loc="upper left", fontsize=8, framealpha=0.9)

        # 3. norms through depth
        self.paths = [ax_n.plot([], [], color="0.6", lw=0.7)[0] for _ in range(INPUTS)]
        (self.rms,) = ax_n.plot([], [], color="C0", lw=2.2, label="RMS over 16 inputs")
        (self.theory,) = ax_n.plot([], [], "--", color="C3", lw=1.5,
                                   label=r"RMS theory: $g^l$ linear, $(g/\sqrt{2})^l$ relu")
        self.typical = [ax_n.plot([], [], ":", color="C3", lw=1.3, label=label)[0]
                        for label in ("typical path ±1 s.d. (linear, Gaussian)", None)]
        ax_n.axhline(1.0, color="k", lw=0.8, ls=":")
        ax_n.set(yscale="log", ylim=RATIO_LIM, xlabel="layer l", ylabel=r"$\|x_l\| / \|x_0\|$",
                 title="norms through a deep random stack")
        ax_n.legend(loc="upper center", bbox_to_anchor=(0.5, -0.17), fontsize=8, ncol=2, frameon=False)

    def draw(self, n, depth, distribution, activation, gain):
        g2 = gain * gain
        gram, off, sum_sq, trace = _gram(n, distribution)  # at gain 1; g^2 W^T W is drawn
        if self._image_key != (n, distribution, gain):  # colour-mapped here: RGBA draws ~2x faster
            self.image.set_data(self._scale.to_rgba(g2 * gram, bytes=True))  # (n, n, 4) uint8
            self._image_key = (n, distribution, gain)

        half = _ladder(4 / math.sqrt(n))  # quantised x range: 4 s.d. of N(0, 1/n)
        edges = np.linspace(-half, half, BINS + 1)
        counts = np.diff(np.searchsorted(off, edges))  # histogram by binary search in the sorted entries
        dens = counts / (max(off.size, 1) * (edges[1] - edges[0]))
        outline = step_outline(edges, dens)
        self.hist.set_xy(outline)
        self.hist_edge.set_data(outline[:, 0], outline[:, 1])
        grid = np.linspace(-half, half, 301)
        sd = 1 / math.sqrt(n)
        self.normal.set_data(grid, np.exp(-0.5 * (grid / sd) ** 2) / (sd * math.sqrt(2 * math.pi)))
        inside = grid[np.abs(grid) < 1 - 1e-3]  # the cosine law lives on [-1, 1]
        self.cosine.set_data(inside, ag.cosine_pdf(torch.from_numpy(inside), n).numpy())
        self.ax_h.set_xlim(-half, half)
        self.ax_h.set_ylim(0, 4.4 / half)  # peak ~ 0.4 / sd with sd in (half/10, half/4]: tied to x

        ratios = norm_ratios(n, distribution, activation, round(gain, 6))[: depth + 1]  # (L+1, B)
        layers = np.arange(depth + 1)
        for line, col in zip(self.paths, ratios.T):
            line.set_data(layers, col)
        rms = np.sqrt((ratios ** 2).mean(axis=1))
        self.rms.set_data(layers, rms)
        if activation in NORM_GAIN:
            self.theory.set_data(layers, (gain * math.sqrt(NORM_GAIN[activation])) ** layers)
        else:
            self.theory.set_data([], [])
        for line, sign in zip(self.typical, (-1.0, 1.0)):
            if activation == "linear":
                mean, sd = log_ratio_moments(n, gain, layers)
                line.set_data(layers, np.exp(mean + sign * sd))
            else:
                line.set_data([], [])
        self.ax_n.set_xlim(0, DEPTH_MAX)  # fixed: a deeper stack draws a longer line

        err = (g2 * g2 * sum_sq - 2 * g2 * trace + n) / n ** 2  # mean((g^2 G - I)^2), expanded
        dead = int((ratios[-1] == 0).sum())
        theory = (f"theory {(gain * math.sqrt(NORM_GAIN[activation])) ** depth:.3g}"
                  if activation in NORM_GAIN else "no closed form for tanh")
        self.readout = (
            f"{n} × {n} layers, {distribution} entries of std g/√n = {gain / math.sqrt(n):.4g}. "
            f"mean((WᵀW − I)²) = <b>{err:.4g}</b>, expected [g⁴(κ + n − 2) + n(g² − 1)²]/n² = "
            f"{expected_error(n, distribution, gain):.4g} (κ = {KURTOSIS[distribution]:g}). "
            f"After L = {depth} {activation} layers: RMS ‖x_L‖/‖x_0‖ = <b>{rms[-1]:.3g}</b> ({theory})"
            + (f"; {dead} of {INPUTS} inputs died (all units zero)" if dead else "") + "."
        )
