"""theory_lib: derivations from Su Jianlin's Scientific Spaces (kexue.fm) as tested torch code.

One module per derivation; every module is plain functions on torch tensors.
Figures live in ``theory_lib.figures`` and are imported only by the lessons, so
``import theory_lib`` never pulls in matplotlib or ipywidgets.
"""

from theory_lib import (
    angles,
    batchnorm,
    bert_init,
    embedding,
    geometric_init,
    rnn,
    smoothing,
    softmax,
)
from theory_lib._checks import default_device

__all__ = [
    "default_device",
    "angles",
    "batchnorm",
    "bert_init",
    "embedding",
    "geometric_init",
    "rnn",
    "smoothing",
    "softmax",
]
__version__ = "0.1.0"
