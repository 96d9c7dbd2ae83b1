"""theory_lib: derivations from Su Jianlin's Scientific Spaces (kexue.fm) as tested torch code.

One topic per lesson, the same name in every layer (``lessons/04-bert-init.ipynb`` uses
``theory_lib.bert_init`` and ``theory_lib.figures.bert_init``; see docs/architecture.md); a topic is
a module, or a package split by concept, of plain functions on torch tensors.
Figures live in ``theory_lib.figures`` and are imported only by the lessons, so
``import theory_lib`` never pulls in matplotlib or ipywidgets.
"""

from theory_lib import (
    adversarial,
    angles,
    batchnorm,
    bert_init,
    critic,
    embedding,
    flooding,
    gelu,
    geometric_init,
    gumbel,
    linear_attention,
    optimizers,
    performer,
    priors,
    rnn,
    smoothing,
    softmax,
    transport,
    vae,
)
from theory_lib._checks import default_device

__all__ = [
    "default_device",
    "adversarial",
    "angles",
    "batchnorm",
    "bert_init",
    "critic",
    "embedding",
    "flooding",
    "gelu",
    "geometric_init",
    "gumbel",
    "linear_attention",
    "optimizers",
    "performer",
    "priors",
    "rnn",
    "smoothing",
    "softmax",
    "transport",
    "vae",
]
__version__ = "0.1.0"
