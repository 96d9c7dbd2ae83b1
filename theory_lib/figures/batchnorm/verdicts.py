"""Lesson 06's verdicts in words: a ratio against 1, two final losses compared, Su's batch-size claim judged.

Each is written in the figures' language (``theory_lib/figures/language.py``): the readouts of
``landscapes`` and the lesson's tables use them.
"""

from __future__ import annotations

import math

from theory_lib.figures.language import current_language, tr


def vs_one(v: float) -> str:
    """ "v &lt; 1" or "v &gt; 1", with the digits that tell v from 1 (0.9996 never prints as 1 &lt; 1)."""
    for digits in range(2, 13):
        text = f"{v:.{digits}g}"
        if float(text) != 1.0 or v == 1.0:
            break
    return f"{text} {'&lt;' if v < 1 else ('&gt;' if v > 1 else '=')} 1"


def final_verdict(none: float, bn: float, lang: str | None = None) -> str:
    """The two final losses compared with numbers on both sides, and who wins (NaN: diverged), in
    ``lang`` (``current_language()`` when None)."""
    lang = lang or current_language()
    if math.isnan(none) and math.isnan(bn):
        return tr("both diverged", lang)
    if math.isnan(none):
        return tr("no BN diverged, BN {bn:.3g}: BN trains", lang).format(bn=bn)
    if math.isnan(bn):
        return tr("no BN {none:.3g}, BN diverged", lang).format(none=none)
    a, b = f"{none:.3g}", f"{bn:.3g}"
    if float(a) == float(b):
        return tr("no BN = {a}, BN = {b}: the same", lang).format(a=a, b=b)
    if float(b) < float(a):
        return tr("no BN = {a} &gt; BN = {b}: BN ends lower", lang).format(a=a, b=b)
    return tr("no BN = {a} &lt; BN = {b}: BN does not help here", lang).format(a=a, b=b)


def batch_size_verdict(
    none_small: float,
    bn_small: float,
    none_big: float,
    bn_big: float,
    small: int = 2,
    big: int = 64,
    lang: str | None = None,
) -> str:
    """Su's "BN needs batches that are not tiny", judged from final losses (NaN: diverged), in ``lang``.

    Testable only where BN beats no BN at the big batch; supported where that advantage is gone
    at the small batch, refuted where BN still wins there."""
    lang = lang or current_language()

    def beats(a, b):  # a ends lower than b; a diverged run beats nothing, and loses to any finite one
        return not math.isnan(a) and (math.isnan(b) or a < b)

    if not beats(bn_big, none_big):
        return tr("not testable here: BN does not beat no BN even at batch {big}", lang).format(big=big)
    if not beats(bn_small, none_small):
        return tr("supports: BN beats no BN at batch {big}, not at batch {small}", lang).format(big=big, small=small)
    return tr("does not support: BN still beats no BN at batch {small}", lang).format(small=small)
