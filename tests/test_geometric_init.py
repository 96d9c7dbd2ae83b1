"""Initialisation from a geometric view: Monte Carlo against the exact expectations, torch's own
initialisers against the closed-form standard deviations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from theory_lib import geometric_init as gi
from theory_lib.figures.geometric_init import KURTOSIS, GeometricInitFigure, expected_error, log_ratio_moments

# E[w^4] / E[w^2]^2 of each distribution, from its definition (not from the library)
KAPPA = {"normal": 3.0, "uniform": 9.0 / 5.0, "rademacher": 1.0}


def exact_error(n: int, m: int, kappa: float) -> float:
    """E mean((W^T W - I)^2), entries of variance 1/m: diagonal entries have variance (kappa - 1)/m,
    off-diagonal ones 1/m, so the mean over n^2 entries is (kappa + n - 2) / (m n)."""
    return (kappa + n - 2) / (m * n)


@pytest.mark.parametrize("distribution", gi.DISTRIBUTIONS)
@pytest.mark.parametrize("n, m", [(4, 4), (32, 32), (16, 64)])
def test_orthogonality_error_matches_its_expectation(distribution, n, m):
    g = torch.Generator().manual_seed(n * 1000 + m)
    errs = gi.orthogonality_error(n, m, distribution, trials=1500, generator=g)
    se = errs.std().item() / math.sqrt(errs.numel())
    assert abs(errs.mean().item() - exact_error(n, m, KAPPA[distribution])) < 4.5 * se


def test_the_distribution_matters_only_at_order_one_over_n_squared():
    """At n = 4 the three laws differ clearly; the difference is (kappa_a - kappa_b)/n^2."""
    g = torch.Generator().manual_seed(0)
    means = {d: gi.orthogonality_error(4, distribution=d, trials=4000, generator=g).mean().item()
             for d in gi.DISTRIBUTIONS}
    assert means["normal"] > means["uniform"] > means["rademacher"]
    assert means["normal"] - means["rademacher"] == pytest.approx((3 - 1) / 16, abs=0.03)


def test_error_shrinks_like_one_over_n():
    g = torch.Generator().manual_seed(1)
    scaled = [n * gi.orthogonality_error(n, trials=8, generator=g).mean().item() for n in (64, 128, 256)]
    for n, s in zip((64, 128, 256), scaled):
        assert s == pytest.approx((n + 1) / n, rel=0.1)  # n * E = (n + 1)/n -> 1


def test_orthogonality_error_shape_dtype_device(device):
    g = torch.Generator(device=device).manual_seed(0)
    out = gi.orthogonality_error(8, 10, "uniform", trials=3, generator=g)
    assert out.shape == (3,) and out.dtype == torch.float64 and out.device.type == device.type
    out = gi.orthogonality_error(5, device=device)
    assert out.shape == (1,) and out.device.type == device.type


def test_random_matrix_moments():
    """The sampler the lesson relies on: mean 0, the asked std, and each law's fourth moment."""
    g = torch.Generator().manual_seed(2)
    for d, kappa in KAPPA.items():
        w = gi._random_matrix(1000, 1000, d, std=0.3, generator=g)
        assert abs(w.mean().item()) < 4 * 0.3 / 1000
        assert w.std().item() == pytest.approx(0.3, rel=5e-3)
        assert ((w / 0.3) ** 4).mean().item() == pytest.approx(kappa, rel=2e-2)
    assert KURTOSIS == KAPPA  # the figure uses the same values


def test_xavier_std_matches_torch_xavier_normal():
    fan_in, fan_out = 300, 700
    w = torch.empty(fan_out, fan_in, dtype=torch.float64)  # torch's layout: (out, in)
    torch.manual_seed(0)
    torch.nn.init.xavier_normal_(w)
    se = gi.xavier_std(fan_in, fan_out) / math.sqrt(2 * w.numel())  # s.e. of a sample std
    assert abs(w.std().item() - gi.xavier_std(fan_in, fan_out)) < 5 * se
    assert gi.xavier_std(fan_in, fan_out) == pytest.approx(math.sqrt(2 / 1000))


def test_he_std_matches_torch_kaiming_normal():
    fan_in, fan_out = 400, 500
    w = torch.empty(fan_out, fan_in, dtype=torch.float64)
    torch.manual_seed(0)
    torch.nn.init.kaiming_normal_(w, mode="fan_in", nonlinearity="relu")
    se = gi.he_std(fan_in) / math.sqrt(2 * w.numel())
    assert abs(w.std().item() - gi.he_std(fan_in)) < 5 * se


def test_he_std_keeps_the_norm_through_relu():
    """E||relu(Wx)||^2 = ||x||^2 with std sqrt(2/n); half of that with 1/sqrt(n)."""
    n, batch = 128, 64
    g = torch.Generator().manual_seed(3)
    x = torch.randn(n, batch, generator=g, dtype=torch.float64)
    w = torch.randn(200, n, n, generator=g, dtype=torch.float64)  # 200 independent layers
    ratio_he = (torch.relu(gi.he_std(n) * w @ x) ** 2).sum(1) / (x ** 2).sum(0)  # (200, batch)
    ratio_plain = (torch.relu(w @ x / math.sqrt(n)) ** 2).sum(1) / (x ** 2).sum(0)
    for r, target in ((ratio_he, 1.0), (ratio_plain, 0.5)):
        per_layer = r.mean(1)  # inputs share a layer, so average over layers for the s.e.
        se = per_layer.std().item() / math.sqrt(per_layer.numel())
        assert abs(per_layer.mean().item() - target) < 4.5 * se


def test_figure_expected_error_with_gain():
    """[g^4 (kappa + n - 2) + n (g^2 - 1)^2] / n^2 against Monte Carlo with scaled weights."""
    n, gain = 12, 1.7
    g = torch.Generator().manual_seed(4)
    for d in gi.DISTRIBUTIONS:
        w = gi._random_matrix(n, n, d, std=gain / math.sqrt(n), batch=(4000,), generator=g)
        errs = ((w.transpose(-1, -2) @ w - torch.eye(n, dtype=w.dtype)) ** 2).mean((-2, -1))
        se = errs.std().item() / math.sqrt(errs.numel())
        assert abs(errs.mean().item() - expected_error(n, d, gain)) < 4.5 * se
    assert expected_error(50, "normal") == pytest.approx(exact_error(50, 50, 3.0))


def test_figure_log_ratio_moments_against_simulation():
    """log ||x_L|| - log ||x_0|| through L Gaussian linear layers: mean and s.d. as predicted."""
    n, depth, runs, gain = 16, 20, 3000, 1.3
    g = torch.Generator().manual_seed(5)
    x = torch.randn(runs, n, 1, generator=g, dtype=torch.float64)
    log0 = torch.linalg.vector_norm(x, dim=(1, 2)).log()
    for _ in range(depth):
        w = torch.randn(runs, n, n, generator=g, dtype=torch.float64) * gain / math.sqrt(n)
        x = w @ x
    logs = torch.linalg.vector_norm(x, dim=(1, 2)).log() - log0
    mean, sd = log_ratio_moments(n, gain, np.array([depth]))
    assert abs(logs.mean().item() - mean[0]) < 4.5 * sd[0] / math.sqrt(runs)
    assert logs.std().item() == pytest.approx(sd[0], rel=0.06)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: gi.orthogonality_error(0), "n"),
        (lambda: gi.orthogonality_error(2.5), "n"),
        (lambda: gi.orthogonality_error(8, m=4), "m"),
        (lambda: gi.orthogonality_error(8, m=0), "m"),
        (lambda: gi.orthogonality_error(8, distribution="cauchy"), "distribution"),
        (lambda: gi.orthogonality_error(8, trials=0), "trials"),
        (lambda: gi.xavier_std(0, 10), "fan_in"),
        (lambda: gi.xavier_std(10, -1), "fan_out"),
        (lambda: gi.xavier_std(10.5, 10), "fan_in"),
        (lambda: gi.he_std(0), "fan_in"),
        (lambda: gi.he_std(True), "fan_in"),
    ],
)
def test_bad_input_names_the_parameter(call, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        call()


# ---------------------------------------------------------------- what the lesson's figure shows
@pytest.fixture
def init_figure():
    fig = GeometricInitFigure(offscreen=True)
    fig.fig.canvas.draw()
    yield fig
    fig.close()


def _log_fill(ax, arrays):
    """Fraction of a log axis's height that the positive data spans."""
    values = np.concatenate([np.ravel(a) for a in arrays])
    values = values[values > 0]
    lo, hi = ax.get_ylim()
    return (math.log(values.max()) - math.log(values.min())) / (math.log(hi) - math.log(lo))


def test_width_opens_at_128_and_reaches_every_width_the_lesson_names():
    spec = GeometricInitFigure.controls["n"]
    assert spec.widget("n").value == 128
    assert {2, 4, 8, 16, 32, 64, 128, 256} <= set(spec.grid())


def test_norm_axis_follows_the_data(init_figure):
    """At the defaults the paths (about 0.35 to 1.9) fill most of the log axis, not a hairline of
    12 decades; at gain 3 over 100 layers (5e47) the axis reaches them."""
    ax = init_figure.ax_n
    paths = [line.get_ydata() for line in init_figure.paths]
    lo, hi = ax.get_ylim()
    assert lo <= min(p.min() for p in paths) and max(p.max() for p in paths) <= hi
    assert _log_fill(ax, paths) > 0.6
    assert ax.get_xlim() == (0, 50)
    init_figure.update(gain=3.0, depth=100)
    paths = [line.get_ydata() for line in init_figure.paths]
    assert ax.get_ylim()[1] >= max(p.max() for p in paths) > 1e47
    assert _log_fill(ax, paths + [init_figure.theory.get_ydata()]) > 0.6


def test_try_this_two_is_true(init_figure):
    """Linear, gain 1.1, depth 100: 1000 is on the axis, the theory 1.1^l reaches it at l = 72.5,
    and the blue RMS line reaches it later but before layer 100."""
    init_figure.update(gain=1.1, depth=100)
    lo, hi = init_figure.ax_n.get_ylim()
    assert lo < 1000 < hi
    rms = init_figure.rms.get_ydata()
    first = int(np.argmax(rms >= 1000))
    assert rms[first] >= 1000 and math.log(1000) / math.log(1.1) < first <= 100


def test_histogram_at_width_two_pools_layers(init_figure):
    """One 2 x 2 layer has a single off-diagonal pair: the histogram pools 100 layers, so it shows
    100 entries over several bins, not one bar."""
    init_figure.update(n=2)
    heights = init_figure.hist.get_xy()[1:-1:2, 1]  # one height per bin
    assert init_figure.pairs_text.get_text() == "100 pairs j < k\nfrom 100 layers"
    assert (heights > 0).sum() >= 8
    assert heights.max() < init_figure.ax_h.get_ylim()[1]


def test_legend_names_only_the_lines_drawn(init_figure):
    def labels():
        return [t.get_text() for t in init_figure.ax_n.get_legend().get_texts()]

    assert len(labels()) == 3
    init_figure.update(distribution="rademacher")  # step 6's band is for Gaussian entries only
    assert not init_figure.typical[0].get_xydata().size and len(labels()) == 2
    init_figure.update(activation="tanh")  # no closed form
    assert not init_figure.theory.get_xydata().size and labels() == ["RMS over 16 inputs"]
