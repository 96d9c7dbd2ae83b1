"""Lesson 17's figures: the opening picture (``minimax``: the tanh form's error curve, c on one slider),
the step figure (``logistic``: the logistic form's error and its max against λ), the synthesis
(``criteria``: four fitting criteria side by side, at the Φ or GELU level, a fixed or free) and the
lesson's exercises (``exercises``). The lesson imports them from here.
"""

from theory_lib.figures.gelu.criteria import CriteriaFigure
from theory_lib.figures.gelu.exercises import EXERCISES
from theory_lib.figures.gelu.logistic import LogisticFigure
from theory_lib.figures.gelu.minimax import MinimaxFigure

__all__ = ["EXERCISES", "CriteriaFigure", "LogisticFigure", "MinimaxFigure"]
