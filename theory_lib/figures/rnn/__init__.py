"""Lesson 07's figures: the opening picture (``opening``: a gradient travelling back through a
tanh RNN), a figure beside step 2 (``steps``: the bound ‖U‖₂^k against the real product), the
synthesis figure (``gradients``: all four cells, their rates, the gated cells' main terms) and the
lesson's exercises on them (``exercises``). The lesson imports them from here.
"""

from theory_lib.figures.rnn.exercises import EXERCISES
from theory_lib.figures.rnn.gradients import (
    HIDDEN,
    SEED,
    T_MAX,
    RNNGradientFigure,
    fit_line,
    fits,
    profiles,
    quantise,
    rate_text,
    training_figure,
    x_extent,
)
from theory_lib.figures.rnn.opening import BackpropFigure
from theory_lib.figures.rnn.steps import BoundFigure

__all__ = [
    "EXERCISES",
    "HIDDEN",
    "SEED",
    "T_MAX",
    "BackpropFigure",
    "BoundFigure",
    "RNNGradientFigure",
    "fit_line",
    "fits",
    "profiles",
    "quantise",
    "rate_text",
    "training_figure",
    "x_extent",
]
