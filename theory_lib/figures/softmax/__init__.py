"""Lesson 01's figures: the opening picture on the simplex (``simplex``), a figure beside step 2
(``steps``), the synthesis figure (``iterates``), and the lesson's exercises on them (``exercises``)."""

from theory_lib.figures.softmax.exercises import EXERCISES
from theory_lib.figures.softmax.iterates import RepeatedSoftmaxFigure, parse_vector, preset_vector
from theory_lib.figures.softmax.simplex import SimplexFigure
from theory_lib.figures.softmax.steps import ContractionFigure

__all__ = ["EXERCISES", "ContractionFigure", "RepeatedSoftmaxFigure", "SimplexFigure", "parse_vector", "preset_vector"]
