"""Initialisation from a geometric view, the lesson's figure: its formulas and what it draws."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from tests.test_geometric_init import KAPPA, exact_error
from theory_lib import geometric_init as gi
from theory_lib.figures.geometric_init import KURTOSIS, GeometricInitFigure, expected_error, log_ratio_moments


# ---------------------------------------------------------------- the figure's formulas
def test_random_matrix_moments():
    """The sampler the lesson relies on: mean 0, the asked std, and each law's fourth moment."""
    g = torch.Generator().manual_seed(2)
    for d, kappa in KAPPA.items():
        w = gi._random_matrix(1000, 1000, d, std=0.3, generator=g)
        assert abs(w.mean().item()) < 4 * 0.3 / 1000
        assert w.std().item() == pytest.approx(0.3, rel=5e-3)
        assert ((w / 0.3) ** 4).mean().item() == pytest.approx(kappa, rel=2e-2)
    assert KURTOSIS == KAPPA  # the figure uses the same values


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


# ---------------------------------------------------------------------------- the opening picture
def test_columns_turn_orthonormal_as_n_grows():
    """Each drawn tip is w_k in the plane of (w_j, w_k): its length and its angle to w_j agree with the
    pair's entries of W^T W; the angles' spread about 90° follows lesson 02's law and shrinks with n."""
    from theory_lib import angles as ag
    from theory_lib.figures.geometric_init import OrthogonalColumnsFigure
    from theory_lib.figures.geometric_init.columns import PAIRS

    fig = OrthogonalColumnsFigure(offscreen=True)
    try:
        spreads = []
        for n in (2, 4, 16, 64, 256, 512):
            fig.update(n=n)
            x, y = fig.tips.get_data()
            assert len(x) == PAIRS and np.all(y >= 0)
            spreads.append(fig.angle_sd)
            if n >= 16:  # 120 pairs: the root mean square within 25% of lesson 02's s.d.
                assert fig.angle_sd == pytest.approx(math.degrees(math.sqrt(ag.angle_variance(n))), rel=0.25)
                assert fig.error == pytest.approx((n + 1) / n**2, rel=0.5)  # one matrix: (n + 1)/n^2 on average
        assert spreads[-1] < spreads[0] / 10 and spreads == sorted(spreads, reverse=True)
    finally:
        fig.close()


def test_norm_ratio_figure_draws_both_sides_of_step_2():
    """Beside step 2: the drawn density is chi^2_m/m, the dotted lines sit at the Marchenko-Pastur edges, the
    sampled typical spread is sqrt(2/m) within sampling error, and the eigenvalues stay near the edges."""
    import math

    import numpy as np
    import torch

    from theory_lib import geometric_init as gi
    from theory_lib.figures.geometric_init import NormRatioFigure
    from theory_lib.figures.geometric_init.steps import N

    fig = NormRatioFigure(offscreen=True)
    try:
        for rows in (1.0, 4.0, 16.0):
            fig.update(rows=rows)
            m = round(rows * N)
            x, y = fig.pdf.get_data()
            assert np.allclose(y, np.exp(gi.norm_ratio_log_pdf(torch.from_numpy(np.asarray(x)), m).numpy()))
            lo, hi = gi.marchenko_pastur_edges(N, m)
            assert fig.lo.get_xdata()[0] == lo and fig.hi.get_xdata()[0] == hi
            assert abs(fig.spread / math.sqrt(2 / m) - 1) < 0.1
            e0, e1 = fig.eig_range
            assert e0 >= lo - 0.05 and e1 <= hi + 0.35 and e1 - e0 > 0.5 * (hi - lo)
    finally:
        fig.close()
