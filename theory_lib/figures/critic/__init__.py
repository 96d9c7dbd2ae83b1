"""Lesson 18's figures: the opening picture (``kink``: a critic with a kink, the second slope on one
slider), the full 1-D figure (``kink``: two slopes, the kink's position, ε, a sin(ax) tab), the step
figure (``softsign``: the forms against t = D/‖∇D‖ and the critic's scale), the synthesis (``relu2d``:
heat maps of a 2-D ReLU critic) and the lesson's exercises (``exercises``). The lesson imports them from here.
"""

from theory_lib.figures.critic.exercises import EXERCISES
from theory_lib.figures.critic.kink import CriticKinkFigure, CriticOpeningFigure
from theory_lib.figures.critic.relu2d import CriticReluFigure
from theory_lib.figures.critic.softsign import CriticSoftsignFigure

__all__ = ["EXERCISES", "CriticKinkFigure", "CriticOpeningFigure", "CriticReluFigure", "CriticSoftsignFigure"]
