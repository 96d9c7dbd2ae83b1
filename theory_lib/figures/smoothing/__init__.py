"""Lesson 05's figures: smooth |x|, relu, sign, step; smooth max / onehot / argmax; training on F1.

One module per figure: ``functions`` (``SmoothFunctionFigure``), ``smooth_max``
(``SmoothMaxFigure``) and ``f1_training`` (``SmoothF1TrainingFigure`` and its cached experiment,
``f1_experiment``). The lesson imports them from here.
"""

from theory_lib.figures.smoothing.f1_training import SmoothF1TrainingFigure, f1_experiment
from theory_lib.figures.smoothing.functions import FUNCTIONS, SmoothFunctionFigure
from theory_lib.figures.smoothing.smooth_max import SmoothMaxFigure

__all__ = ["FUNCTIONS", "SmoothF1TrainingFigure", "SmoothFunctionFigure", "SmoothMaxFigure", "f1_experiment"]
