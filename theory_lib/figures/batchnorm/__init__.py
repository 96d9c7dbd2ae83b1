"""Lesson 06's figures: the opening picture (``valley``: the raw and the centered least-squares valley),
the step and synthesis figures (``landscapes``: gradient descent raw, centered and standardized;
Santurkar et al.'s measures on an MLP), the noisy-BN experiment (``noisy``), the verdicts in words
(``verdicts``) and the lesson's exercises (``exercises``). The lesson imports them from here.
"""

from theory_lib.figures.batchnorm.exercises import EXERCISES
from theory_lib.figures.batchnorm.landscapes import (
    LandscapeBNFigure,
    LeastSquaresBNFigure,
    ellipses,
    probe_run,
    regression_data,
    teacher_data,
)
from theory_lib.figures.batchnorm.noisy import NoisyBNFigure, noisy_run
from theory_lib.figures.batchnorm.valley import ValleyFigure
from theory_lib.figures.batchnorm.verdicts import batch_size_verdict, final_verdict

__all__ = [
    "EXERCISES",
    "LandscapeBNFigure",
    "LeastSquaresBNFigure",
    "NoisyBNFigure",
    "ValleyFigure",
    "batch_size_verdict",
    "ellipses",
    "final_verdict",
    "noisy_run",
    "probe_run",
    "regression_data",
    "teacher_data",
]
