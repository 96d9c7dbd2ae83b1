"""Vanishing and exploding gradients in RNN, LSTM and GRU.

Su Jianlin, 《也来谈谈RNN的梯度消失/爆炸问题》, kexue.fm/archives/7888 (2020-11-13). The gradient
of a recurrent net is itself a recurrence, dh_t/dθ = (∂h_t/∂h_{t-1}) dh_{t-1}/dθ + ∂h_t/∂θ, so
what reaches step t from step T is the product of the one-step Jacobians:

    simple RNN  h_t = φ(W x_t + U h_{t-1} + b):   ∂h_t/∂h_{t-1} = diag(φ'(·)) U
    LSTM        c_t = f_t c_{t-1} + i_t g_t:      ∂c_t/∂c_{t-1} = f_t + (secondary terms)
    GRU         h_t = z_t h_{t-1} + (1 - z_t) n_t:  ∂h_t/∂h_{t-1} = z_t + (secondary terms)

(torch's GRU calls z the gate that keeps the old state; Su writes it as 1 - z.) Products over
10^4 steps leave the float range, so every product here is kept in log space.

Conventions: parameters are dicts with torch's own names and gate orders (``weight_ih``,
``weight_hh``, ``bias_ih``, ``bias_hh``; LSTM gates i, f, g, o; GRU gates r, z, n), so
``nn.RNNCell(...).state_dict()`` and friends can be passed in. Time is the first dimension.
The state s is h for the RNNs and the GRU, and (h, c) stacked (size 2H) for the LSTM.

Modules, in the order the lesson derives them: ``cells`` (the forward pass and the one-step Jacobians),
``lstm`` (the LSTM's main and secondary terms), ``products`` (log‖∂s_T/∂s_t‖ in log space, gradient
profiles), ``rates`` (decay rates and their fit windows), ``training`` (the adding task).
"""

from theory_lib.rnn.cells import CELLS, StepJacobians, init_params, state_jacobians
from theory_lib.rnn.lstm import LSTMTerms, lstm_terms, secondary_term_bound
from theory_lib.rnn.products import (
    GradientProfile,
    gradient_norms,
    gradient_profile,
    gradient_profile_grid,
    gradient_profiles,
    log_product_norms,
)
from theory_lib.rnn.rates import DecayFit, decay_fit, decay_rate
from theory_lib.rnn.training import TrainResult, adding_task, train_adding

__all__ = [
    "CELLS",
    "init_params",
    "state_jacobians",
    "log_product_norms",
    "gradient_profile",
    "gradient_profiles",
    "gradient_profile_grid",
    "gradient_norms",
    "decay_rate",
    "decay_fit",
    "lstm_terms",
    "secondary_term_bound",
    "adding_task",
    "train_adding",
    "StepJacobians",
    "GradientProfile",
    "DecayFit",
    "LSTMTerms",
    "TrainResult",
]
