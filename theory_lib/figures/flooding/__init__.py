"""Lesson 13's figures: the valley (``valley``: ``OpeningFigure``, the opening picture with b alone, and
``ValleyFigure``), the two-step expansion and unequal rates (``two_step``), the training experiment
(``experiment``) and the lesson's exercises on them (``exercises``). The lesson imports them from here.
"""

from theory_lib.figures.flooding.exercises import EXERCISES
from theory_lib.figures.flooding.experiment import ExperimentFigure, flood_experiment, flood_run
from theory_lib.figures.flooding.two_step import TwoStepFigure, UnequalRatesFigure, error_curves, two_steps
from theory_lib.figures.flooding.valley import OpeningFigure, ValleyFigure, valley_path

__all__ = [
    "EXERCISES",
    "ExperimentFigure",
    "OpeningFigure",
    "TwoStepFigure",
    "UnequalRatesFigure",
    "ValleyFigure",
    "error_curves",
    "flood_experiment",
    "flood_run",
    "two_steps",
    "valley_path",
]
