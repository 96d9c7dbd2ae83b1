"""Lesson 08's figures: the opening picture (``opening``: N words on the sphere seen from one, crowded
or roomy), the step figures (``dimension``: the bound against N, and h_n / n by integration and
Monte Carlo) and the lesson's exercises on them (``exercises``). The lesson imports them from here.
"""

from theory_lib.figures.embedding.dimension import DimensionFigure, EntropyCoefficientFigure, pair_cosines
from theory_lib.figures.embedding.exercises import EXERCISES
from theory_lib.figures.embedding.opening import WordsFigure, roomy_dimension

__all__ = ["EXERCISES", "DimensionFigure", "EntropyCoefficientFigure", "WordsFigure", "pair_cosines", "roomy_dimension"]
