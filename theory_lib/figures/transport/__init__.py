"""Lesson 16's figures: the opening picture (``dirt.OpeningFigure``: two sentences in the plane, the
WMD plan drawn as segments, one rotation slider), the step figures (``cdf``: 1-D EMD as the area
between two CDFs; ``norm``: WRD against one word's norm, marked where the plan changes support), the
synthesis figure (``dirt.PushDirtFigure``: rotation, one word's norm and the cost, with live WMD,
WCD, WRD and Su's bound), ``triangle.TriangleFigure`` (three one-word sentences: WMD keeps the
triangle inequality, WRD breaks it), ``timing.LpTimeFigure`` (the LP's measured time by length),
``entropic.SinkhornFigure`` (Sinkhorn's cost tending to the LP's as ε → 0) and
the lesson's exercises (``exercises``). The lesson imports
them from here.
"""

from theory_lib.figures.transport.cdf import CdfFigure
from theory_lib.figures.transport.dirt import OpeningFigure, PushDirtFigure
from theory_lib.figures.transport.entropic import SinkhornFigure
from theory_lib.figures.transport.exercises import EXERCISES
from theory_lib.figures.transport.norm import NormFigure
from theory_lib.figures.transport.timing import LpTimeFigure
from theory_lib.figures.transport.triangle import TriangleFigure

__all__ = [
    "EXERCISES",
    "CdfFigure",
    "LpTimeFigure",
    "NormFigure",
    "OpeningFigure",
    "PushDirtFigure",
    "SinkhornFigure",
    "TriangleFigure",
]
