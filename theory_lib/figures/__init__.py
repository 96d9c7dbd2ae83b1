"""Interactive figures for the lessons (matplotlib + ipywidgets; imported only by lessons).

``base`` holds the shared widget layer; one module per lesson holds that lesson's figures.
"""

from theory_lib.figures.base import (
    FIGURES,
    Choice,
    InteractiveFigure,
    LogSlider,
    Slider,
    Text,
    figure_classes,
)

__all__ = ["FIGURES", "Choice", "InteractiveFigure", "LogSlider", "Slider", "Text", "figure_classes"]
