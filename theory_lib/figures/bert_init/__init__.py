"""Lesson 04's figures: the opening picture of the residual paths (``paths``), BERT's truncated 0.02
against Xavier (``truncation``), the residual path's weights by depth (``residual``), the MLM softmax
at initialisation (``mlm``), the toy stack trained (``toy``: ``ToyStackFigure`` and its cached
experiment ``toy_experiment``); ``exercises`` holds the lesson's exercises on them. The lesson
imports them from here.
"""

from theory_lib.figures.bert_init.exercises import EXERCISES
from theory_lib.figures.bert_init.mlm import MlmLogitsFigure
from theory_lib.figures.bert_init.paths import ResidualPathsFigure
from theory_lib.figures.bert_init.residual import ResidualWeightsFigure
from theory_lib.figures.bert_init.toy import N_TRAIN, STEPS, WIDTH, ToyStackFigure, toy_experiment, toy_stds
from theory_lib.figures.bert_init.truncation import TruncationFigure

__all__ = [
    "EXERCISES",
    "N_TRAIN",
    "STEPS",
    "WIDTH",
    "MlmLogitsFigure",
    "ResidualPathsFigure",
    "ResidualWeightsFigure",
    "ToyStackFigure",
    "TruncationFigure",
    "toy_experiment",
    "toy_stds",
]
