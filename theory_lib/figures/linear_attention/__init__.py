"""Lesson 09's figures: the opening picture (``opening``: the two orders of the product as blocks), the
step figures (``cost``: the cost crossover; ``gallery``: the attention maps of each similarity; ``rnn``:
the causal form as an RNN, step by step) and the lesson's exercises on them (``exercises``)."""

from theory_lib.figures.linear_attention.cost import CostFigure
from theory_lib.figures.linear_attention.exercises import EXERCISES
from theory_lib.figures.linear_attention.gallery import AttentionMapFigure, gallery_data
from theory_lib.figures.linear_attention.opening import ProductOrderFigure
from theory_lib.figures.linear_attention.rnn import RnnStepperFigure, rnn_data

__all__ = [
    "EXERCISES",
    "AttentionMapFigure",
    "CostFigure",
    "ProductOrderFigure",
    "RnnStepperFigure",
    "gallery_data",
    "rnn_data",
]
