"""Lesson 15's figures: decay against L2 and the optimiser lab (``paths``: ``OpeningFigure``, the opening
picture with λ alone, and ``LabFigure``), the learning-rate schedule (``schedule``), a rare embedding
row under plain and lazy Adam (``lazy``) and the lesson's exercises on them (``exercises``). The
lesson imports them from here.
"""

from theory_lib.figures.optimizers.exercises import EXERCISES
from theory_lib.figures.optimizers.lazy import LazyFigure
from theory_lib.figures.optimizers.paths import LabFigure, OpeningFigure, l2_minimum, loss_of, opening_paths, path
from theory_lib.figures.optimizers.schedule import ScheduleFigure, schedule_of

__all__ = [
    "EXERCISES",
    "LabFigure",
    "LazyFigure",
    "OpeningFigure",
    "ScheduleFigure",
    "l2_minimum",
    "loss_of",
    "opening_paths",
    "path",
    "schedule_of",
]
