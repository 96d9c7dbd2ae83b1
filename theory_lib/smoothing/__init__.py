"""Lesson 05: smooth approximations of non-smooth functions.

Su Jianlin, 《函数光滑化杂谈:不可导函数的可导逼近》 (kexue.fm/archives/6620, 2019-05-20), and the
companion 《寻求一个光滑的最大值函数》 (kexue.fm/archives/3290).

    functions   max ~ tau logsumexp(x / tau), onehot ~ softmax, |x|, relu, sign, step; sup errors
    metrics     accuracy ~ mean <1_y, p>, F1 ~ 2 sum p y / sum (p + y); training on the smooth F1
"""

from theory_lib.smoothing.functions import (
    ABS_KINDS,
    RELU_KINDS,
    SIGN_KINDS,
    approximation_error,
    derivative_mass,
    smooth_abs,
    smooth_argmax,
    smooth_max,
    smooth_max2,
    smooth_max_bound,
    smooth_onehot,
    smooth_relu,
    smooth_sign,
    smooth_step,
)
from theory_lib.smoothing.metrics import (
    TrainedLinear,
    hard_f1,
    imbalanced_blobs,
    smooth_accuracy,
    smooth_f1,
    train_linear_classifier,
)

__all__ = [
    "smooth_max",
    "smooth_max_bound",
    "smooth_onehot",
    "smooth_argmax",
    "smooth_abs",
    "smooth_relu",
    "smooth_sign",
    "smooth_step",
    "smooth_max2",
    "approximation_error",
    "derivative_mass",
    "smooth_accuracy",
    "smooth_f1",
    "hard_f1",
    "imbalanced_blobs",
    "train_linear_classifier",
    "TrainedLinear",
    "ABS_KINDS",
    "RELU_KINDS",
    "SIGN_KINDS",
]
