"""Lesson 15's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

from theory_lib import optimizers as op
from theory_lib.figures.exercises import Exercise
from theory_lib.figures.optimizers.lazy import LazyFigure, moves, rare_row
from theory_lib.figures.optimizers.paths import LabFigure, OpeningFigure, loss_of, path
from theory_lib.figures.optimizers.schedule import ScheduleFigure, schedule_of


# 1 ------------------------------------------------------------------ decay against L2
def _decay_answer(fig):
    return fig.tr(
        "SGD: the two paths are one (largest gap {sgd:.1e}), at every λ: θ − γ(g + λθ) is the same number either "
        "way. Adam: L2 in the loss ends at the minimum of L + (λ/2)‖θ‖², ({m1:.3f}, {m2:.3f}); AdamW ends at "
        "({w1:.3f}, {w2:.3f}), {gap:.3f} away. Adam divides g + λθ by its own running scale, AdamW adds λθ after "
        "that division: they solve different equations."
    ).format(
        sgd=fig.sgd_gap,
        m1=fig.minimum[0],
        m2=fig.minimum[1],
        w1=fig.end_w[0],
        w2=fig.end_w[1],
        gap=fig.adam_gap,
    )


def _decay_check(fig):
    return fig.sgd_gap < 1e-12 and fig.adam_gap > 0.1 and abs(fig.end_l2 - fig.minimum).max() < 1e-3


# 2 ------------------------------------------------------------------ warm-up
def _warm_answer(fig):
    return fig.tr(
        "ρ(50) = {half:.3f}: halfway up the warm-up from (0, 0) to (100, 1). With from_zero off, ρ starts at the "
        "first value (ρ(0) = {start_off:g}) and there is no warm-up: bert4keras's schedules warm up only "
        "because (0, 0) is prepended. The article's {{1000: 1}} is the same ramp over 1000 steps."
    ).format(half=fig.rho_half, start_off=op.piecewise_linear(0, schedule_of(100, 0.1), from_zero=False))


def _warm_check(fig):
    return abs(fig.rho_half - 0.5) < 1e-12 and fig.rho_start == 0.0


# 3 ------------------------------------------------------------------ accumulation against noise
def _accum_answer(fig):
    one = path(150, noise=fig.params["noise"], base="sgd", lr=0.05)

    tail = float(loss_of(one[-30:]).mean())
    return fig.tr(
        "With one noisy micro-batch per update the loss hovers at {one:.2e}; averaging k = {k} micro-batches "
        "divides the gradient noise's variance by {k} and the loss falls to {acc:.2e} ({ratio:.1f} times lower). "
        "It costs {k} times the gradients per update: accumulation is a large batch, paid for in time."
    ).format(one=tail, k=fig.params["accum"], acc=fig.final_loss, ratio=tail / fig.final_loss)


def _accum_check(fig):
    return fig.final_loss < fig.final_plain / 3


# 4 ------------------------------------------------------------------ lazy rows: the drift is momentum's
def _lazy_answer(fig):
    drift = moves(rare_row(0.9, fig.params["period"], False))[1]
    return fig.tr(
        "On {mp} of the {n} steps without its gradient. With β₁ = 0 Adam's m is this step's gradient, 0 when the "
        "token is absent, so the update m̂/(√v̂ + ε) is 0 although v̂ is not: plain and lazy Adam take one path "
        "(θ₁ ends at {ep:.3f} and {el:.3f}). The drift is momentum's: at β₁ = 0.9 the step right after a "
        "gradient moves the row by {d:.3f} with no gradient at all."
    ).format(mp=fig.moved_plain, n=fig.unseen, ep=fig.end_plain, el=fig.end_lazy, d=drift)


def _lazy_check(fig):
    return fig.moved_plain == 0 == fig.moved_lazy and fig.end_plain == fig.end_lazy


# 5 ------------------------------------------------------------------ break: layer adaptation
def _layer_answer(fig):
    return fig.tr(
        "The step is always γ‖θ‖ ≈ {step:.3f}, whatever the gradient: near the minimum it cannot shrink, so the "
        "path keeps jumping around it, {dist:.3f} away, with mean loss {loss:.2e} against {plain:.2e} without "
        "layer adaptation. LAMB's gains are for huge batches and need a decaying learning rate; on its own the "
        "rule does not converge."
    ).format(step=0.05 * 2**0.5, dist=fig.distance, loss=fig.final_loss, plain=fig.final_plain)


def _layer_check(fig):
    return fig.final_loss > 100 * fig.final_plain and fig.distance > 0.01


_LAB = dict(base="sgd", lam=0.0, layer="off", accum=1, noise=0.0, la_k=0, alpha=0.5)

EXERCISES = [
    Exercise(
        name="decay-vs-l2",
        kind="predict",
        question=(
            "At λ = 1, predict: do SGD's two paths (decay, L2 in the loss) still coincide? Adam's? Which Adam "
            "path ends at the minimum of L + (λ/2)‖θ‖²?"
        ),
        figure=OpeningFigure,
        settings={"lam": 1.0},
        answer=_decay_answer,
        check=_decay_check,
    ),
    Exercise(
        name="warm-up",
        kind="read-off",
        question=(
            "With a warm-up of 100 steps, read ρ at step 50. Then turn from_zero off: what is left of the warm-up?"
        ),
        figure=ScheduleFigure,
        settings={"warmup": 100, "final": 0.1, "from_zero": "on"},
        answer=_warm_answer,
        check=_warm_check,
    ),
    Exercise(
        name="lazy-momentum",
        kind="predict",
        question=(
            "At β₁ = 0.9 plain Adam moves the rare row on every step without its gradient. Predict: at β₁ = 0, on "
            "how many of those steps does it move the row?"
        ),
        figure=LazyFigure,
        settings={"beta1": 0.0, "period": 10},
        answer=_lazy_answer,
        check=_lazy_check,
    ),
    Exercise(
        name="accumulation",
        kind="predict",
        question=(
            "SGD with gradient noise σ = 2: predict how far the loss falls when each update averages k = 8 "
            "micro-batches instead of 1."
        ),
        figure=LabFigure,
        settings={**_LAB, "noise": 2.0, "accum": 8},
        answer=_accum_answer,
        check=_accum_check,
    ),
    Exercise(
        name="layer-adaptation",
        kind="break",
        question=(
            "Layer adaptation fixes every step at γ‖θ‖. Break convergence with it: SGD, no noise, turn it on. "
            "Where does the path end?"
        ),
        figure=LabFigure,
        settings={**_LAB, "layer": "on"},
        answer=_layer_answer,
        check=_layer_check,
    ),
]
