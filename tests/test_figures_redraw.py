"""Redrawing only the axes that changed (theory_lib/figures/redraw.py) gives a full draw's picture."""

from __future__ import annotations

import numpy as np

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


def test_repainted_axes_equal_a_fresh_render(monkeypatch):
    checked = {}
    repaints = []
    original = redraw.repaint_changed

    def counted(*args):
        done = original(*args)
        repaints.append(done is not None)
        return done

    monkeypatch.setattr(redraw, "repaint_changed", counted)
    for name, cls in sorted(figure_classes().items()):
        if not cls.continuous:  # figures that train: their moves cost seconds, and they repaint the same way
            continue
        fig = cls(offscreen=True)
        try:
            fig.fig.canvas.draw()
            for control, spec in cls.controls.items():
                if not isinstance(spec, Slider):
                    continue
                for value in _walk(spec):
                    repaints.clear()
                    fig.update(**{control: value})
                    if not any(repaints) or checked.get(name, 0) >= CHECKS_PER_FIGURE:
                        continue
                    live = np.asarray(fig.fig.canvas.buffer_rgba())
                    fresh = cls.render(fig.params, dpi=fig.fig.dpi)
                    differ = np.any(live != fresh, axis=-1).mean()
                    assert differ == 0, f"{name} after {control}={value}: {differ:.3%} of the pixels differ"
                    checked[name] = checked.get(name, 0) + 1
                fig.update(**{control: spec.value})
        finally:
            fig.close()
    assert sum(checked.values()) >= 10, f"too few repaints to check: {checked}"


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
