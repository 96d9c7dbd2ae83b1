"""Lesson 13, the experiment: a small network trained past zero training error, with and without flooding.

``flooding.train_flooding`` on 100 noisy points (10% of the labels flipped): one run on plain
cross-entropy, one on |L − b| + b, the same data, initial weights and batches. Left: test loss (and
training loss, thin) along the steps. Right: the loss each of the flooded run's last steps saw,
minus b: the derivation needs its sign to alternate at every step. Each setting trains two
networks once (``flood_experiment``, cached; a few seconds, in the widget's worker thread).
"""

from __future__ import annotations

import numpy as np

from theory_lib import flooding as fl
from theory_lib._checks import one_cpu_thread
from theory_lib.figures.background import stage
from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.controls import Choice, Slider
from theory_lib.figures.style import set_limits

STEPS, LOG_EVERY, LAST = 600, 10, 60
LR = {"SGD": 0.5, "Adam": 0.01}
BATCHES = {"full": None, "10": 10}


_RUNS: dict = {}  # (optimizer, batch, b) -> FloodRun: at most 2 x 2 x 7 small runs


@one_cpu_thread()
def flood_run(optimizer: str, batch: str, b: float, progress=None) -> fl.FloodRun:
    """One training run (b = 0: plain), cached on its setting; ``progress`` is a worker's hook (background.py)."""
    key = (optimizer, batch, round(float(b), 10))
    if key not in _RUNS:  # a run cancelled by a newer setting raises and leaves nothing cached
        _RUNS[key] = fl.train_flooding(
            key[2],
            STEPS,
            optimizer=optimizer.lower(),
            lr=LR[optimizer],
            batch_size=BATCHES[batch],
            log_every=LOG_EVERY,
            progress=progress,
        )
    return _RUNS[key]


def flood_experiment(optimizer: str, batch: str, b: float) -> dict:
    """The plain and the flooded run of one setting (in a widget's worker, with a progress bar)."""
    plain = flood_run(optimizer, batch, 0.0, stage("training without flooding", 0.0, 0.5))
    flood = flood_run(optimizer, batch, b, stage("training with flooding at b = {b:g}", 0.5, 1.0, b=b))
    return {"plain": plain, "flood": flood}


class ExperimentFigure(InteractiveFigure):
    """Test loss with and without flooding, and the signs of L − b that the derivation needs to alternate."""

    controls = {
        "optimizer": Choice(list(LR), "SGD", label="optimizer"),
        "batch": Choice(list(BATCHES), "full", label="batch size"),
        "b": Slider(0.05, 0.3, 0.1, step=0.05, label="flood level b", named=(0.1, 0.2)),
    }
    figsize = (10.0, 4.0)
    continuous = False  # a setting trains two networks (seconds): update on release

    def build(self):
        ax, ax_s = self.fig.subplots(1, 2)
        self.ax, self.ax_s = ax, ax_s
        (self.test_plain,) = ax.plot([], [], color="C0", lw=1.8, label=self.tr("test, plain"))
        (self.test_flood,) = ax.plot([], [], color="C3", lw=1.8, label=self.tr("test, flooding"))
        (self.train_plain,) = ax.plot([], [], color="C0", lw=1.0, ls="--", label=self.tr("train, plain"))
        (self.train_flood,) = ax.plot([], [], color="C3", lw=1.0, ls="--", label=self.tr("train, flooding"))
        (self.b_line,) = ax.plot([], [], color="C1", lw=1.0, ls=":", label="b")
        ax.set(xlim=(0, STEPS), ylim=(1e-3, 10), yscale="log", xlabel=self.tr("step"), ylabel=self.tr("cross-entropy"))
        ax.set_title(self.tr("loss along training"), fontsize=9)
        ax.legend(loc="lower left", fontsize=7.5, frameon=False, ncol=2)

        ax_s.axhline(0, color="0.4", lw=0.8)
        (self.sign_line,) = ax_s.plot([], [], color="0.6", lw=0.8)
        (self.up,) = ax_s.plot([], [], "^", color="C3", ms=4, label=self.tr("L > b: descent"))
        (self.down,) = ax_s.plot([], [], "v", color="C0", ms=4, label=self.tr("L < b: ascent"))
        ax_s.set(xlim=(STEPS - LAST - 1, STEPS), xlabel=self.tr("step"), ylabel="L − b")
        ax_s.set_title(self.tr("the flooded run's last {last} steps").format(last=LAST), fontsize=9)
        ax_s.legend(loc="upper center", fontsize=7.5, frameon=False, ncol=2)

    def compute(self, optimizer, batch, b):
        return flood_experiment(optimizer, batch, b)

    def draw(self, optimizer, batch, b):
        r = self.compute(optimizer, batch, b)
        plain, flood = r["plain"], r["flood"]
        steps = plain.logged.numpy()
        self.test_plain.set_data(steps, plain.test_loss.numpy())
        self.test_flood.set_data(steps, flood.test_loss.numpy())
        self.train_plain.set_data(steps, np.maximum(plain.train_loss.numpy(), 1e-3))
        self.train_flood.set_data(steps, np.maximum(flood.train_loss.numpy(), 1e-3))
        self.b_line.set_data([0, STEPS], [b, b])
        d = flood.step_loss.numpy()[-LAST:] - b
        k = np.arange(STEPS - LAST, STEPS)
        self.sign_line.set_data(k, d)
        self.up.set_data(k[d > 0], d[d > 0])
        self.down.set_data(k[d < 0], d[d < 0])
        top = max(float(np.abs(d).max()), 1e-4)
        set_limits(self.ax_s, ylim=(-1.15 * top, 1.7 * top))  # room above the data for the legend
        self.flip_rate = flood.flip_rate
        self.test_plain_end, self.test_flood_end = float(plain.test_loss[-1]), float(flood.test_loss[-1])
        self.err_plain, self.err_flood = float(plain.test_error[-1]), float(flood.test_error[-1])
        self.train_err_plain = float(plain.train_error[-1])
        self.readout = self.tr(
            "{optimizer}, batch {batch}, b = {b:g}, after {steps} steps: training error {train_err:.0%} without "
            "flooding; test loss <b>{test_plain:.3f}</b> without, <b>{test_flood:.3f}</b> with flooding (test error "
            "{err_plain:.1%} and {err_flood:.1%}). Once below b, the sign of L − b flipped at <b>{flips:.0%}</b> of "
            "the steps (the two-step argument needs 100%). {ms:.2f} ms a step."
        ).format(
            optimizer=optimizer,
            batch=self.tr("full") if batch == "full" else batch,
            b=b,
            steps=STEPS,
            train_err=self.train_err_plain,
            test_plain=self.test_plain_end,
            test_flood=self.test_flood_end,
            err_plain=self.err_plain,
            err_flood=self.err_flood,
            flips=self.flip_rate,
            ms=1e3 * flood.seconds_per_step,
        )
