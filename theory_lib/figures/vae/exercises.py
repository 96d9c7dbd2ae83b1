"""Lesson 19's exercises, in lesson order: each question with its settings, its live answer and its check.

``tests/test_exercises.py`` drives each one's figure to its settings and runs the check; the lesson
shows them with ``show_exercises(EXERCISES, figure)`` under each live figure.
"""

from __future__ import annotations

from theory_lib.figures.exercises import Exercise
from theory_lib.figures.vae.bias import VaeBiasFigure
from theory_lib.figures.vae.ess import VaeEssFigure, ess
from theory_lib.figures.vae.toy import VaeToyFigure


# 1 ------------------------------------------------------------------ one sample: biased low by the KL
def _one_answer(fig):
    return fig.tr(
        "Below. w is unbiased for q(x), but log is concave: the mean of L₁ is {mean:.4f} ± {se:.4f}, {gap:.4f} under "
        "log q(x) = {lq:.5f}. That gap is KL(r‖q(z|x)): the closed form E[L₁] = {elbo:.5f}. Still, {above:.0%} of the "
        "single estimates lie above log q(x): the bias is in the mean, not in every draw."
    ).format(mean=fig.mean, se=fig.se, gap=fig.log_q - fig.mean, lq=fig.log_q, elbo=fig.elbo, above=fig.above)


def _one_check(fig):
    return fig.mean < fig.log_q and abs(fig.mean - fig.elbo) < 4 * fig.se and fig.above > 0


# 2 ------------------------------------------------------------------ many samples: the gap closes
def _many_answer(fig):
    return fig.tr(
        "At M = 64 the mean is {mean:.4f} ± {se:.4f}: {gap:.4f} under log q(x) (at M = 1 it was {gap1:.4f}), and "
        "the spread has shrunk to {sd:.4f}. {above:.0%} of the estimates lie above log q(x). The bias falls roughly "
        "like 1/M (Burda et al.), but it never changes sign."
    ).format(mean=fig.mean, se=fig.se, gap=fig.log_q - fig.mean, gap1=fig.log_q - fig.elbo, sd=fig.sd, above=fig.above)


def _many_check(fig):
    return 0 < fig.log_q - fig.mean < 0.05 * (fig.log_q - fig.elbo)


# 3 ------------------------------------------------------------------ the prior in ten dimensions
def _prior_answer(fig):
    return fig.tr(
        "One dimension at s = 0.1 gives an ESS fraction of {one:.4f}; ten independent dimensions give its tenth "
        'power, {p:.3g}: about one useful draw in {inv:.3g}. Su\'s "even millions of samples" is an understatement.'
    ).format(one=float(ess(0.1, 1)), p=fig.ess_prior, inv=1 / fig.ess_prior)


def _prior_check(fig):
    return fig.ess_prior < 1e-12 and abs(fig.ess_prior / float(ess(0.1, 1)) ** 10 - 1) < 1e-9


# 4 ------------------------------------------------------------------ break: small s needs an exact encoder
def _narrow_answer(fig):
    return fig.tr(
        "It breaks. At s = 0.05 the posterior is narrow (standard deviation {sd:.4f}), so a mean off by 0.05 is "
        "about two of its widths: the ESS fraction is {o:.3f}, against {o5:.3f} at s = 0.5 with the same miss. Small "
        "s makes sampling from p(z|x) efficient only if the encoder tracks the posterior within its shrinking width."
    ).format(sd=0.05 / (4 + 0.05**2) ** 0.5, o=fig.ess_off, o5=float(ess(0.5, 1, 0.05)))


def _narrow_check(fig):
    return fig.ess_off < 0.05 < 0.9 < float(ess(0.5, 1, 0.05))


# 5 ------------------------------------------------------------------ the prior as proposal in the toy
def _good_proposal_l8():
    """E[L_8] (the seeded curve) with the note's proposal N(0.5, 0.1), for comparison."""
    twin = VaeToyFigure(offscreen=True, a=2.0, s=0.5, x=1.0, m=0.5, v=0.1)
    try:
        return twin.curve[-1]
    finally:
        twin.close()


def _toy_answer(fig):
    return fig.tr(
        "E[L₁] = {e1:.4f} against log q(x) = {lq:.4f}: the gap KL(prior‖posterior) is {kl:.3f} nats. Eight samples "
        "reach {e8:.3f}, still {g8:.3f} short (the proposal N(0.5, 0.1) is {g8n:.4f} short at M = 8). The posterior "
        "N({mu:.3f}, {var:.4f}) is far narrower than the prior: the prior's draws that miss it get tiny weights, and "
        "the log punishes those hardest (ESS fraction {ess:.3f})."
    ).format(
        e1=fig.elbo,
        lq=fig.log_q,
        kl=fig.log_q - fig.elbo,
        e8=fig.curve[-1],
        g8=fig.log_q - fig.curve[-1],
        g8n=fig.log_q - _good_proposal_l8(),
        mu=fig.mu,
        var=fig.var,
        ess=fig.ess,
    )


def _toy_check(fig):
    return fig.log_q - fig.elbo > 8 and fig.log_q - fig.curve[-1] > 10 * (fig.log_q - _good_proposal_l8())


EXERCISES = [
    Exercise(
        name="one-sample",
        kind="predict",
        question=(
            "Set M = {M}. One sample gives w, an unbiased estimate of q(x). Before looking, predict: is the mean of "
            "L₁ = log w above, at or below log q(x)? Do all the estimates lie on that side?"
        ),
        values={"M": 1},
        figure=VaeBiasFigure,
        settings={"M": 1},
        answer=_one_answer,
        check=_one_check,
    ),
    Exercise(
        name="many-samples",
        kind="read-off",
        question="Set M = {M}. Read the gap between the mean of L_M and log q(x), and compare it with M = 1.",
        values={"M": 64},
        figure=VaeBiasFigure,
        settings={"M": 64},
        answer=_many_answer,
        check=_many_check,
    ),
    Exercise(
        name="prior-ten-dims",
        kind="read-off",
        question="Sample from the prior with s = {s} and d = {d} latent dimensions. Read the ESS fraction.",
        values={"s": 0.1, "d": 10},
        figure=VaeEssFigure,
        settings={"s": 0.1, "d": 10, "delta": 0.05},
        answer=_prior_answer,
        check=_prior_check,
    ),
    Exercise(
        name="narrow-posterior",
        kind="break",
        question=(
            "Su: keep the decoder variance small, then p(z|x) is narrow and sampling from it is efficient. Take an "
            "encoder with the posterior's width but its mean off by δ = {delta}, set s = {s} (d = 1). Is it efficient?"
        ),
        values={"delta": 0.05, "s": 0.05},
        figure=VaeEssFigure,
        settings={"s": 0.05, "d": 1, "delta": 0.05},
        answer=_narrow_answer,
        check=_narrow_check,
    ),
    Exercise(
        name="prior-proposal",
        kind="read-off",
        question="Use the prior as the proposal: m = {m}, v = {v} (a = 2, s = 0.5, x = 1). Read E[L₁] and E[L₈].",
        values={"m": 0.0, "v": 1.0},
        figure=VaeToyFigure,
        settings={"a": 2.0, "s": 0.5, "x": 1.0, "m": 0.0, "v": 1.0},
        answer=_toy_answer,
        check=_toy_check,
    ),
]
