"""Lesson 05's figures: smooth |x|, relu, sign, step; smooth max / onehot / argmax; training on F1.

One module per figure: ``kink`` (``KinkFigure``, the opening picture), ``functions``
(``SmoothFunctionFigure``), ``smooth_max`` (``SmoothMaxFigure``) and ``f1_training``
(``SmoothF1TrainingFigure`` and its cached experiment, ``f1_experiment``); ``exercises`` holds the
lesson's exercises on them. The lesson imports them from here.
"""

from theory_lib.figures.smoothing.exercises import EXERCISES
from theory_lib.figures.smoothing.f1_training import SmoothF1TrainingFigure, f1_experiment
from theory_lib.figures.smoothing.functions import FUNCTIONS, SmoothFunctionFigure
from theory_lib.figures.smoothing.kink import KinkFigure
from theory_lib.figures.smoothing.smooth_max import SmoothMaxFigure

__all__ = [
    "EXERCISES",
    "FUNCTIONS",
    "KinkFigure",
    "SmoothF1TrainingFigure",
    "SmoothFunctionFigure",
    "SmoothMaxFigure",
    "f1_experiment",
]
