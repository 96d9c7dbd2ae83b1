"""Lesson 14's figures: the opening picture (``gaussians.PriorGaussianFigure``: two Gaussians, the τ-adjusted
threshold, balanced and plain error against τ; τ on one slider), the step figures (``gaussians.PriorHeatmapFigure``:
balanced error over τ_train × τ_post; ``synthetic.PriorLongTailFigure``: the LA paper's long-tail profile;
``can.PriorCanFigure``: CAN on Su's binary example; ``synthetic.PriorSyntheticCanFigure``: CAN on a synthetic
classifier) and the lesson's exercises (``exercises``). The lesson imports them from here.
"""

from theory_lib.figures.priors.can import PriorCanFigure
from theory_lib.figures.priors.exercises import EXERCISES
from theory_lib.figures.priors.gaussians import PriorGaussianFigure, PriorHeatmapFigure
from theory_lib.figures.priors.synthetic import PriorLongTailFigure, PriorSyntheticCanFigure

__all__ = [
    "EXERCISES",
    "PriorCanFigure",
    "PriorGaussianFigure",
    "PriorHeatmapFigure",
    "PriorLongTailFigure",
    "PriorSyntheticCanFigure",
]
