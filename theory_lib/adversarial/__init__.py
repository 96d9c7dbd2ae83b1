"""Lesson 12: adversarial training, and why FGM acts like a gradient penalty on the input.

Su Jianlin, 《对抗训练浅谈：意义、方法和思考（附Keras实现）》, kexue.fm/archives/7234, 2020-03-01;
FGM after Goodfellow et al. (arXiv 1412.6572), the min-max view after Madry et al. (arXiv 1706.06083).

    min_θ E[max_{‖Δx‖≤ε} L(x + Δx, y; θ)],   Δx ≈ ε∇_x L/‖∇_x L‖ (FGM)
    with Δx held fixed, ∇_θ L(x + Δx) = ∇_θ (L + ε‖∇_x L‖) + O(ε²)

    gradients  the fast gradient, per-sample input gradients, the penalty loss and FGM's loss
    linear     the logistic model, where FGM is exact: the robust loss, its fit and the collapse ε*
    training   toy data, plain / FGM / penalty training, accuracy under attack, the O(ε²) gap
"""

from theory_lib.adversarial.gradients import (
    NORMS,
    fgm_loss,
    fgm_perturbation,
    gradient_penalty_loss,
    input_gradient,
    per_sample_losses,
)
from theory_lib.adversarial.linear import LINEAR_NORMS, robust_collapse_eps, robust_logistic_fit, robust_logistic_loss
from theory_lib.adversarial.training import (
    METHODS,
    TrainRun,
    attacked_accuracy,
    expansion_gap,
    gaussian_classes,
    step_seconds,
    tanh_mlp,
    train_classifier,
    two_moons,
)

__all__ = [
    "NORMS",
    "fgm_perturbation",
    "input_gradient",
    "per_sample_losses",
    "gradient_penalty_loss",
    "fgm_loss",
    "LINEAR_NORMS",
    "robust_logistic_loss",
    "robust_logistic_fit",
    "robust_collapse_eps",
    "METHODS",
    "gaussian_classes",
    "two_moons",
    "tanh_mlp",
    "train_classifier",
    "TrainRun",
    "attacked_accuracy",
    "step_seconds",
    "expansion_gap",
]
