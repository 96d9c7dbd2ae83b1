"""Lesson 12's figures: the opening picture (``opening``: the worst loss within ε against loss + ε × slope),
the step figures (``steps``: the O(ε²) gap between FGM and the penalty; the linear case's robust margin
and its collapse), Su's pit bottom (``pit``: a network trained with the penalty, in a worker) and the
lesson's exercises (``exercises``). The lesson imports them from here.
"""

from theory_lib.figures.adversarial.exercises import EXERCISES
from theory_lib.figures.adversarial.opening import WorstCaseFigure, three_curves
from theory_lib.figures.adversarial.pit import PitBottomFigure, attacked_curve, pit_runs
from theory_lib.figures.adversarial.steps import (
    COLLAPSE,
    RobustMarginFigure,
    TaylorGapFigure,
    gap_table,
    robust_fit,
    slope,
)

__all__ = [
    "COLLAPSE",
    "EXERCISES",
    "PitBottomFigure",
    "RobustMarginFigure",
    "TaylorGapFigure",
    "WorstCaseFigure",
    "attacked_curve",
    "gap_table",
    "pit_runs",
    "robust_fit",
    "slope",
    "three_curves",
]
