"""Vanishing and exploding gradients in RNN, LSTM and GRU (lesson 07), moved into a package: ``cells`` holds it all."""

from theory_lib.rnn.cells import *  # noqa: F403
from theory_lib.rnn.cells import __all__  # noqa: F401
