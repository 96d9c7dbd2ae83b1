"""Lesson 03's figures: the opening picture of the columns of W (``columns``), the synthesis figure
(``layers``), the figure beside step 2 (``steps``), and the lesson's exercises on them (``exercises``)."""

from theory_lib.figures.geometric_init.columns import OrthogonalColumnsFigure
from theory_lib.figures.geometric_init.exercises import EXERCISES
from theory_lib.figures.geometric_init.layers import KURTOSIS, GeometricInitFigure, expected_error, log_ratio_moments
from theory_lib.figures.geometric_init.steps import NormRatioFigure

__all__ = [
    "EXERCISES",
    "KURTOSIS",
    "GeometricInitFigure",
    "NormRatioFigure",
    "OrthogonalColumnsFigure",
    "expected_error",
    "log_ratio_moments",
]
