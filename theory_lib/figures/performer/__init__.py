"""Lesson 10's figures: the opening picture (``opening``: m feature products averaging to e^{q·k}), the
step figures on one kernel entry (``estimators``: both estimators' errors; Su's quantile radii and their
bias), the synthesis (``matrix``: a whole attention matrix approximated) and the exercises on them."""

from theory_lib.figures.performer.estimators import RadiiFigure, VarianceFigure
from theory_lib.figures.performer.exercises import EXERCISES
from theory_lib.figures.performer.matrix import AttentionMatrixFigure
from theory_lib.figures.performer.opening import RunningMeanFigure

__all__ = ["EXERCISES", "AttentionMatrixFigure", "RadiiFigure", "RunningMeanFigure", "VarianceFigure"]
