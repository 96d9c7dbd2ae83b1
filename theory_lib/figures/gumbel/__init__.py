"""Lesson 11's figures: the opening picture (``simplex``: Gumbel-Softmax samples on the triangle, τ on
one slider), the step figures (``estimators``: score function against reparameterisation; ``proof``:
Su's proof of Gumbel-Max in the unit square; ``bias``: the bias and variance of the Gumbel-Softmax
gradient against τ) and the lesson's exercises (``exercises``). The lesson imports them from here.
"""

from theory_lib.figures.gumbel.bias import BiasVarianceFigure
from theory_lib.figures.gumbel.estimators import EstimatorFigure
from theory_lib.figures.gumbel.exercises import EXERCISES
from theory_lib.figures.gumbel.proof import ProofFigure
from theory_lib.figures.gumbel.simplex import SimplexFigure

__all__ = ["EXERCISES", "BiasVarianceFigure", "EstimatorFigure", "ProofFigure", "SimplexFigure"]
