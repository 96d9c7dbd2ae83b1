"""Gradient normalisation: a WGAN critic made Lipschitz by dividing it by its input gradient.

Su Jianlin, 《WGAN新方案：通过梯度归一化来实现L约束》, kexue.fm/archives/8757 (2021-11-15), on
Wu et al., "Gradient Normalization for GANs" (ICCV 2021) and Bhaskara et al., "GraN-GAN" (WACV 2022).

    W_1(p, q) = max_{||D||_L <= 1} E_p D - E_q D,        ||grad_x D|| <= 1  =>  ||D||_L <= 1
    plain:     D^ = D / ||grad D||
    iccv:      D^ = D / (||grad D|| + |D|)                 (in [-1, 1])
    wacv:      D^ = D ||grad D|| / (||grad D||^2 + eps)
    direction: D^ = <grad D / ||grad D||, x>              (Su's control experiment)

Inside one linear region of a ReLU critic, D = g^T x + beta with g constant; with t = D / ||g|| (the
signed distance to that region's zero set) the forms are t, t / (1 + |t|), t ||g||^2 / (||g||^2 + eps)
and t - beta / ||g||, and their gradient norms 1, (1 + |t|)^-2, ||g||^2 / (||g||^2 + eps) and 1.
Across a region boundary ||grad D|| jumps, so D^ jumps: bounded in each region, not Lipschitz globally.
A critic maps x (batch, d) to (batch,) or (batch, 1), each row on its own (no batch statistics).

    forms     the four forms, grad D by autograd, their in-region gradient norms, a seeded ReLU critic
    training  W_1 by the dual LP and for 1-D samples; critics trained with GP and GN; a step's cost
"""

from theory_lib.critic.forms import (
    FORMS,
    critic_gradient,
    gradient_normalize,
    in_region_gradient_norm,
    normalize_values,
    normalized_gradient_norm,
    relu_critic,
)
from theory_lib.critic.training import (
    METHODS,
    PARTS,
    CriticRun,
    gradient_penalty,
    lipschitz_dual,
    step_cost,
    train_critic,
    wasserstein_1d,
)

__all__ = [
    "FORMS",
    "gradient_normalize",
    "normalized_gradient_norm",
    "critic_gradient",
    "normalize_values",
    "in_region_gradient_norm",
    "relu_critic",
    "METHODS",
    "PARTS",
    "CriticRun",
    "lipschitz_dual",
    "wasserstein_1d",
    "gradient_penalty",
    "train_critic",
    "step_cost",
]
