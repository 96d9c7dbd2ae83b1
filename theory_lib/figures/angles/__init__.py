"""Lesson 02's figures: the opening picture on the sphere (``sphere``), a figure beside step 5
(``steps``), the synthesis figure (``distribution``), and the lesson's exercises on them (``exercises``)."""

from theory_lib.figures.angles.distribution import ARTICLE_VAR, VECTOR_BUDGET, AngleDistributionFigure, vector_pairs
from theory_lib.figures.angles.exercises import EXERCISES
from theory_lib.figures.angles.sphere import SphereBandFigure
from theory_lib.figures.angles.steps import LaplaceFigure

__all__ = [
    "ARTICLE_VAR",
    "EXERCISES",
    "VECTOR_BUDGET",
    "AngleDistributionFigure",
    "LaplaceFigure",
    "SphereBandFigure",
    "vector_pairs",
]
