"""Lesson 19's figures: the opening picture (``bias``: the histogram of the M-sample log estimate, M on one
slider), the step figure (``ess``: why the prior is a poor proposal), the synthesis (``toy``: the exact
toy's prior, posterior and proposal with E[L_M] against M) and the lesson's exercises (``exercises``).
"""

from theory_lib.figures.vae.bias import VaeBiasFigure
from theory_lib.figures.vae.ess import VaeEssFigure
from theory_lib.figures.vae.exercises import EXERCISES
from theory_lib.figures.vae.toy import VaeToyFigure

__all__ = ["EXERCISES", "VaeBiasFigure", "VaeEssFigure", "VaeToyFigure"]
