"""Every lesson's exercises hold: each one's figure, driven headless to its settings, passes its check,
and its live answer is computed there. Lessons are found by glob and their exercises in their figure
module's ``EXERCISES``, so a new lesson is picked up without an edit here. The contract's visible
parts (docs/lesson-contract.md) are checked for every converted lesson.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from theory_lib.figures.exercises import Exercise

ROOT = Path(__file__).resolve().parent.parent
LESSONS = {p.stem[3:].replace("-", "_"): p for p in sorted((ROOT / "lessons").glob("[0-9][0-9]-*.py"))}
# Lessons not yet converted to docs/lesson-contract.md: remove a topic when its lesson is (the test
# below fails for a listed topic that already declares EXERCISES, so this list can only shrink).
NOT_YET = set()


def exercises_of(topic: str) -> list[Exercise]:
    return list(getattr(importlib.import_module(f"theory_lib.figures.{topic}"), "EXERCISES", []))


CASES = [(topic, ex) for topic in LESSONS for ex in exercises_of(topic)]
_twins = {}  # one headless figure per class: an exercise drives it to its whole state (defaults + settings)


def _twin(cls):
    if cls not in _twins:
        _twins[cls] = cls(offscreen=True)
    return _twins[cls]


@pytest.mark.parametrize("topic, exercise", CASES, ids=[f"{t}:{e.name}" for t, e in CASES])
def test_exercise_holds_at_its_settings(topic, exercise):
    """The settings are values the learner can set; the check passes there; the answer is real text."""
    for name, value in exercise.settings.items():
        assert exercise.figure.controls[name].reachable(value), f"{exercise.name}: {name} = {value!r} is not settable"
    answer = exercise.verify(_twin(exercise.figure))
    assert isinstance(answer, str) and len(answer) > 40, f"{exercise.name}: the answer says nothing"
    assert exercise.figure.__module__.startswith(f"theory_lib.figures.{topic}"), (
        "an exercise on another lesson's figure"
    )


@pytest.mark.parametrize("topic", sorted(LESSONS))
def test_lesson_follows_the_contract(topic):
    """3 to 5 exercises with a 'break' among them, each shown in the lesson beside its figure class;
    prerequisites and outcomes at the top; a closing summary."""
    exercises = exercises_of(topic)
    if topic in NOT_YET:
        assert not exercises, f"{topic} declares EXERCISES: remove it from NOT_YET in tests/test_exercises.py"
        pytest.skip(f"lesson {topic} is not converted to docs/lesson-contract.md yet")
    text = LESSONS[topic].read_text(encoding="utf-8")
    assert 3 <= len(exercises) <= 5, f"{topic}: {len(exercises)} exercises, the contract asks for 3 to 5"
    assert {"predict", "read-off", "break"} <= {e.kind for e in exercises}, f"{topic}: mix the kinds"
    assert len({e.name for e in exercises}) == len(exercises), f"{topic}: two exercises share a name"
    for cls in {e.figure for e in exercises}:
        assert re.search(r"show_exercises\(EXERCISES, \w+\)", text) and f"{cls.__name__}(" in text, (
            f"{topic}: the lesson never shows {cls.__name__} with show_exercises(EXERCISES, <figure>)"
        )
    first = text.split("# %%")[1]
    assert "**You need:**" in first and "**You will be able to:**" in first, f"{topic}: say what it needs and gives"
    assert "## Summary" in text and "claims_table(" in text, f"{topic}: close with a summary computed live"


def test_a_false_exercise_fails():
    """The machinery catches a false check and a question about a control the figure lacks."""
    from theory_lib.figures.softmax import RepeatedSoftmaxFigure

    wrong = Exercise(
        name="false",
        kind="read-off",
        question="At tau = 1, does [1, 2, 3, 4] get stuck?",
        figure=RepeatedSoftmaxFigure,
        settings={"preset": "[1, 2, 3, 4]", "temperature": 1.0},
        answer=lambda fig: "yes",
        check=lambda fig: not fig.fate["uniform"],
    )
    with pytest.raises(AssertionError, match="false"):
        wrong.verify(_twin(RepeatedSoftmaxFigure))
    with pytest.raises(ValueError, match="tau"):
        Exercise("x", "read-off", "?", RepeatedSoftmaxFigure, {"tau": 1.0}, str, bool)
    with pytest.raises(ValueError, match="kind"):
        Exercise("x", "try this", "?", RepeatedSoftmaxFigure, {}, str, bool)


def test_show_me_moves_the_live_sliders():
    """The "show me" button sets the live figure's state and its widgets follow."""
    from theory_lib.figures.exercises import show_me
    from theory_lib.figures.softmax import EXERCISES, RepeatedSoftmaxFigure

    fig = RepeatedSoftmaxFigure()
    try:
        box = fig.widget()
        fig.update(temperature=2.0, preset="random")
        ex = next(e for e in EXERCISES if e.figure is RepeatedSoftmaxFigure and "vector" in e.settings)
        show_me(fig, ex.state())
        assert fig.params == ex.state()
        widgets = dict(zip(fig.controls, box.children[0].children, strict=True))
        assert widgets["temperature"].value == ex.settings["temperature"]
        assert widgets["vector"].value == ex.settings["vector"]
    finally:
        fig.close()
