"""Interactive figures for the lessons (matplotlib + ipywidgets; imported only by lessons).

The shared layer is three modules: ``base`` (``InteractiveFigure``, the ``FIGURES`` registry),
``controls`` (the controls, declared as data) and ``style`` (the look, and axis helpers), with
``background`` (figures that train compute in a worker thread, with progress). Each lesson's
figures live in the module, or package, named after its topic (``smoothing``, ``rnn``).
"""

from theory_lib.figures.base import FIGURES, InteractiveFigure, figure_classes
from theory_lib.figures.controls import Choice, FineSlider, LogSlider, Slider, Text

__all__ = ["FIGURES", "Choice", "FineSlider", "InteractiveFigure", "LogSlider", "Slider", "Text", "figure_classes"]
