"""Redrawing only the axes that changed (theory_lib/figures/redraw.py) gives a full draw's picture."""

from __future__ import annotations

import numpy as np
import pytest

from theory_lib.figures import figure_classes, redraw
from theory_lib.figures.controls import LogSlider, Slider

CHECKS_PER_FIGURE = 3  # a fresh render costs a full draw: compare at the first few repaints


def _walk(spec, points: int = 10):
    """Evenly spaced values over a slider's grid, as a drag from one end to the other."""
    if isinstance(spec, LogSlider):
        grid = list(spec.grid())
    else:
        steps = int(round((spec.max - spec.min) / spec.grid_step()))
        grid = [spec.min + k * spec.grid_step() for k in range(steps + 1)]
    picked = grid[:: max(1, len(grid) // points)]
    return [int(round(v)) if spec.integer else float(v) for v in picked]


# Not the figures that train: their moves cost seconds, and they repaint the same way.
REPAINTING = sorted(name for name, cls in figure_classes().items() if cls.continuous)


@pytest.mark.parametrize("name", REPAINTING)
def test_repainted_axes_equal_a_fresh_render(name, monkeypatch):
    """Walk every slider; at the first CHECKS_PER_FIGURE moves that repaint only some axes, the live
    canvas must equal a fresh render of that state, pixel for pixel."""
    cls = figure_classes()[name]
    checked, repaints = 0, []
    original = redraw.repaint_changed

    def counted(*args):
        done = original(*args)
        repaints.append(done is not None)
        return done

    monkeypatch.setattr(redraw, "repaint_changed", counted)
    fig = cls(offscreen=True)
    try:
        fig.fig.canvas.draw()
        for control, spec in cls.controls.items():
            if not isinstance(spec, Slider) or checked >= CHECKS_PER_FIGURE:
                continue
            for value in _walk(spec):
                repaints.clear()
                fig.update(**{control: value})
                if not any(repaints):
                    continue
                live = np.asarray(fig.fig.canvas.buffer_rgba())
                fresh = cls.render(fig.params, dpi=fig.fig.dpi)
                differ = np.any(live != fresh, axis=-1).mean()
                assert differ == 0, f"{name} after {control}={value}: {differ:.3%} of the pixels differ"
                checked += 1
                if checked >= CHECKS_PER_FIGURE:
                    break
            fig.update(**{control: spec.value})
    finally:
        fig.close()
    if not checked:
        pytest.skip(f"{name}: no slider move repaints only some axes (each is a blit or a full draw)")


def test_moving_one_panel_does_not_redraw_the_others():
    """The angle histogram's limits follow n; moving n repaints that panel, with no full draw."""
    fig = figure_classes()["angles.AngleDistributionFigure"](offscreen=True)
    try:
        fig.fig.canvas.draw()
        full_draws = []
        fig.fig.canvas.mpl_connect("draw_event", lambda e: full_draws.append(1))
        before = fig._signature
        assert not fig.fig.stale, "a full draw left the figure stale: IPython would redraw it again and again"
        fig.update(n=2)
        assert fig._signature != before, "n = 2 should move the histogram's limits"
        assert not full_draws, "moving n redrew the whole figure"
        assert not fig.fig.stale, "a repaint left the figure stale"
    finally:
        fig.close()
