"""Lesson 06: what batch normalisation does to the loss landscape.

Su Jianlin, 《BN究竟起了什么作用?一个闭门造车的分析》, kexue.fm/archives/6992, 2019-10-11, after
Santurkar et al., "How Does Batch Normalization Help Optimization?" (NeurIPS 2018).

    least_squares   L = λ_max(E[xxᵀ]) for f(w) = E[(wᵀx - y)²]/2; centering and standardizing lower it
    probe           an MLP with/without BatchNorm: loss variation, gradient predictiveness, β
    covariate_shift Santurkar et al.'s noisy BN: more covariate shift per step, training as good as BN's
"""

from theory_lib.batchnorm.covariate_shift import NOISY_VARIANTS, NoisyBNRun, noisy_bn_run
from theory_lib.batchnorm.least_squares import (
    NORMALIZE,
    GDRun,
    descent_bound,
    gradient_descent,
    gradient_lipschitz,
    linear_regression_data,
    max_stable_lr,
    normalize_inputs,
    second_moment,
)
from theory_lib.batchnorm.probe import BN_PLACEMENTS, LandscapeProbe, landscape_probe, teacher_task

__all__ = [
    "second_moment",
    "gradient_lipschitz",
    "max_stable_lr",
    "descent_bound",
    "normalize_inputs",
    "gradient_descent",
    "GDRun",
    "linear_regression_data",
    "teacher_task",
    "landscape_probe",
    "LandscapeProbe",
    "NORMALIZE",
    "BN_PLACEMENTS",
    "noisy_bn_run",
    "NoisyBNRun",
    "NOISY_VARIANTS",
]
