"""Beyond the article: the adding task, where a gradient that vanishes across the gap leaves nothing to learn.

    x_t = (u_t, m_t),  u_t ~ U(0, 1),  m_t = 1 at one t1 < max(1, T // 10) and one t2 >= T // 2
    y = u_{t1} + u_{t2}
    MSE:  the mean 1 scores Var(u1 + u2) = 1/6,  the late value alone Var(u1) = 1/12,  a memory across the gap 0

``train_adding`` trains a torch RNN, LSTM or GRU on it with Adam and keeps the initial parameters,
so ``state_jacobians`` can show how far gradients reached at the start.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch

from theory_lib import _checks
from theory_lib._checks import choice, fits, integer, one_cpu_thread, positive, public
from theory_lib.rnn.cells import CELLS, _real


@public({"T": 5, "batch": 3}, extremes={"T": [4, 10**4], "batch": [1, 1000]})
def adding_task(T: int, batch: int, *, device=None, generator=None, dtype=torch.float32):
    """The adding problem (Hochreiter & Schmidhuber 1997), with a long gap built in.

    Input (T, batch, 2): channel 0 values u ~ U(0, 1), channel 1 two markers, the first within the
    first max(1, T // 10) steps, the second in the second half. Target (batch,): the sum of the two
    marked values. Predicting the mean 1 scores MSE Var(u1 + u2) = 1/6; knowing only the late value
    (short memory) scores Var(u1) = 1/12; only a memory across the gap reaches 0.
    """
    T = integer("T", T, minimum=4)
    batch = integer("batch", batch, minimum=1)
    fits("batch", batch, 4 * T * batch)
    device, generator, dtype = _checks.sampling(device, generator, dtype)
    u = torch.rand(T, batch, dtype=dtype, device=device, generator=generator)
    first = torch.randint(0, max(1, T // 10), (batch,), device=device, generator=generator)
    second = torch.randint(T // 2, T, (batch,), device=device, generator=generator)
    marks = torch.zeros(T, batch, dtype=dtype, device=device)
    cols = torch.arange(batch, device=device)
    marks[first, cols] = 1.0
    marks[second, cols] = 1.0
    x = torch.stack([u, marks], dim=-1)  # (T, batch, 2)
    y = u[first, cols] + u[second, cols]  # (batch,)
    return x, y


class TrainResult(NamedTuple):
    losses: torch.Tensor  # (steps,) training MSE per step
    test_mse: float  # MSE on a fresh batch of 1000 sequences
    initial: dict  # the cell's parameters before training (torch's names, float64): feed them
    # to ``state_jacobians`` to see how far gradients reached at the start


@public(
    {"cell": "lstm", "T": 5, "hidden": 3, "steps": 2, "batch": 4},
    extremes={"cell": ["rnn-tanh", "gru"], "lr": [1e-300], "clip": [1e-300, 1e300]},
)
@one_cpu_thread()
def train_adding(
    cell: str,
    T: int,
    *,
    hidden: int = 32,
    steps: int = 300,
    batch: int = 64,
    lr: float = 1e-2,
    clip: float = 1.0,
    forget_bias: float = 0.0,
    seed: int = 0,
    device=None,
) -> TrainResult:
    """Train a one-layer ``cell`` plus a linear read-out of h_T on ``adding_task(T)`` with Adam.

    torch's default initialisation U(-1/√H, 1/√H), drawn from a seeded generator (the global RNG
    is left alone), plus ``forget_bias`` on the LSTM's f / the GRU's z; gradient norm clipped to
    ``clip``. Returns the per-step training loss, the test MSE (to compare with 1/6 and 1/12) and
    the initial cell parameters.
    """
    cell = choice("cell", cell, CELLS)
    T = integer("T", T, minimum=4)
    hidden = integer("hidden", hidden, minimum=1)
    steps = integer("steps", steps, minimum=1, maximum=10**6)
    batch = integer("batch", batch, minimum=1)
    lr, clip = positive("lr", lr), positive("clip", clip)
    bias = _real("forget_bias", forget_bias)
    seed = _checks.seed("seed", seed)
    device = _checks.device("device", device)
    fits("batch", batch, 16 * T * max(batch, 1000) * hidden)  # the LSTM's gates and states over T steps
    gen = torch.Generator(device=device).manual_seed(seed)
    kind = {"rnn-tanh": torch.nn.RNN, "rnn-relu": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[cell]
    kw = {"nonlinearity": cell[4:]} if cell.startswith("rnn") else {}
    with torch.random.fork_rng(devices=[]):  # torch's own init draws from the global RNG: leave it as it was
        net = kind(2, hidden, **kw).to(device)
        head = torch.nn.Linear(hidden, 1).to(device)
    with torch.no_grad():
        for prm in [*net.parameters(), *head.parameters()]:  # all of torch's defaults are U(±1/√H) here
            bound = 1 / math.sqrt(hidden)
            prm.copy_(torch.rand(prm.shape, device=device, generator=gen) * 2 * bound - bound)
        if cell in ("lstm", "gru"):
            net.bias_ih_l0[hidden : 2 * hidden] += bias
    initial = {k.removesuffix("_l0"): v.detach().clone().double() for k, v in net.state_dict().items()}
    opt = torch.optim.Adam([*net.parameters(), *head.parameters()], lr=lr)
    losses = torch.empty(steps)
    for k in range(steps):
        x, y = adding_task(T, batch, device=device, generator=gen)
        out, _ = net(x)  # (T, batch, H)
        loss = ((head(out[-1]).squeeze(-1) - y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_([*net.parameters(), *head.parameters()], clip)
        opt.step()
        losses[k] = loss.detach()
    with torch.no_grad():
        x, y = adding_task(T, 1000, device=device, generator=gen)
        out, _ = net(x)
        test = ((head(out[-1]).squeeze(-1) - y) ** 2).mean().item()
    return TrainResult(losses, test, initial)
