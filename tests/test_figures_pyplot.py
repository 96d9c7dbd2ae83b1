"""A figure a lesson re-creates does not leak: figures stay out of pyplot's registry, and at most
``style._KEEP`` live figures of a class are kept (building one more closes the oldest, ipympl's
canvas and toolbar widgets included, which ipywidgets would otherwise hold for ever)."""

from __future__ import annotations

import gc
import weakref

import matplotlib.pyplot as plt

from theory_lib.figures import style
from theory_lib.figures.base import figure_classes


def test_building_every_figure_registers_none_with_pyplot():
    before = set(plt.get_fignums())
    figures = [cls() for cls in figure_classes().values()]
    assert set(plt.get_fignums()) == before, "figures left registered with pyplot"
    for fig in figures:
        fig.close()


def test_re_creating_a_figure_keeps_at_most_keep_alive():
    cls = next(iter(figure_classes().values()))
    refs = []
    for _ in range(3 * style._KEEP):
        refs.append(weakref.ref(cls().fig))
    gc.collect()
    alive = sum(r() is not None for r in refs)
    assert alive <= style._KEEP, f"{alive} of {len(refs)} figures of {cls.__name__} still alive"
    assert refs[-1]() is not None  # the newest one is kept and usable
