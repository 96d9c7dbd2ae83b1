"""Exercises on a lesson's figures: a question, the settings it refers to, a live answer, a check.

A lesson's figure module (or package) declares its exercises, in lesson order, next to its figures:

    EXERCISES = [
        Exercise(
            name="window",
            kind="predict",                        # predict-then-move, read-off, or break (the article's claim)
            question="Before moving τ above τ*, predict what becomes of the orange basin.",
            figure=SimplexFigure,
            settings={"temperature": 0.4},         # the state the question is about ("show me" sets it)
            answer=lambda fig: f"It is gone: {fig.basin_share:.0%} of the simplex ...",   # Markdown, live
            check=lambda fig: fig.basin_share == 0,  # truthy, or an AssertionError saying what is wrong
        ),
    ]

``answer`` and ``check`` read the figure driven headless to the exercise's state (the figure's
defaults, then ``settings``: ``exercise.state(fig)``), so a false or unanswerable question fails
``tests/test_exercises.py``, which finds every topic's ``EXERCISES`` without edits. A question
that quotes a computed number is a template, ``question="... τ*(3) = {tau_star:.4f} ..."`` with
``values={"tau_star": ...}``, so that its translation (``language.tr``) keeps the number computed; an
answer writes its text with ``fig.tr(template).format(...)``, in the figure's language. The lesson
shows them beside a live figure, ``show_exercises(EXERCISES, figure)``: each one's question, a
"show me" button that sets the live figure's controls there (the sliders move with it), and a
collapsed answer computed when the cell runs. ``claims_table`` writes a lesson's closing summary.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass, field

from theory_lib.figures.base import InteractiveFigure
from theory_lib.figures.language import current_language, tr

__all__ = ["KINDS", "Exercise", "claims_table", "show_exercises"]

KINDS = {"predict": "predict, then move", "read-off": "read it off", "break": "break the claim"}


@dataclass
class Exercise:
    """One exercise on one figure class; see the module docstring."""

    name: str
    kind: str
    question: str
    figure: type[InteractiveFigure]
    settings: dict
    answer: Callable[[InteractiveFigure], str]
    check: Callable[[InteractiveFigure], bool]
    hint: str = field(default="")
    values: dict = field(default_factory=dict)  # the numbers the question's {fields} quote

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {sorted(KINDS)}, got {self.kind!r}")
        unknown = set(self.settings) - set(self.figure.controls)
        if unknown:
            raise ValueError(f"settings name {sorted(unknown)}, not controls of {self.figure.__name__}")

    def text(self, lang: str = "en") -> str:
        """The question in ``lang``, its numbers filled in."""
        question = tr(self.question, lang)
        return question.format(**self.values) if self.values else question

    def state(self) -> dict:
        """Every control's value in the exercise's state: the figure's defaults, then ``settings``."""
        return {**{name: c.value for name, c in self.figure.controls.items()}, **self.settings}

    def drive(self, fig: InteractiveFigure) -> InteractiveFigure:
        """Put ``fig`` (an instance of ``figure``) in the exercise's state, headless."""
        if not isinstance(fig, self.figure):
            raise ValueError(f"fig must be a {self.figure.__name__}, got {type(fig).__name__}")
        return fig.update(**self.state())

    def verify(self, fig: InteractiveFigure) -> str:
        """Drive ``fig`` to the state, run the check and return the answer; AssertionError if the check fails."""
        self.drive(fig)
        answer = self.answer(fig)
        if not self.check(fig):  # a check may also raise its own AssertionError, with a message
            raise AssertionError(f"exercise {self.name!r}: the check is false at {self.settings}; answer: {answer}")
        return answer


def show_me(fig: InteractiveFigure, params: dict) -> None:
    """Set a live figure's controls to ``params``: one update (the sliders follow), or, for a figure
    that trains in its widget's worker, each changed control through its widget (the newest wins)."""
    worker, controls = getattr(fig, "_worker", None), getattr(fig, "_controls", None)
    if worker is None or controls is None:
        fig.update(**params)
        return
    for name, value in params.items():
        if fig.params[name] != value:
            fig.controls[name].show(controls[name], value)


def show_exercises(exercises: list[Exercise], fig: InteractiveFigure) -> None:
    """Display, under the live ``fig``, the exercises that refer to its class (numbered in the lesson).

    Each answer is computed now, on a headless twin of the figure driven to the exercise's state
    (so it does not depend on where the learner left the sliders), and its check is run too: a
    false exercise stops the lesson, as it fails the tests."""
    import ipywidgets as w
    from IPython.display import Markdown, display

    twin, lang = None, fig.lang
    for number, ex in enumerate(exercises, start=1):
        if ex.figure is not type(fig):
            continue
        twin = twin or type(fig)(offscreen=True, lang=lang)
        answer = ex.verify(twin)
        head = tr("**Exercise {number}** ({kind}).", lang).format(number=number, kind=tr(KINDS[ex.kind], lang))
        display(Markdown(f"{head} {ex.text(lang)}"))
        settings = _settings_text(ex.settings, fig)
        button = w.Button(description=tr("show me", lang), icon="eye", tooltip=settings)
        button.on_click(lambda _, ex=ex: show_me(fig, ex.state()))
        body = w.Output()
        with body:
            display(Markdown(answer))
        fold = w.Accordion(children=[body], selected_index=None)
        fold.set_title(0, tr("answer", lang))
        sets = tr("sets {settings}", lang).format(settings=settings)
        note = w.HTML(f"<small>{html.escape(sets)}</small>")
        display(w.VBox([w.HBox([button, note]), fold]))
    if twin is not None:
        twin.close()


def _settings_text(settings: dict, fig: InteractiveFigure) -> str:
    """ "temperature τ = 0.3, n = 8": each control by its label in the figure's language."""
    return ", ".join(f"{fig.tr(fig.controls[k].label or k)} = {v}" for k, v in settings.items())


def claims_table(rows: list[tuple[str, str, str, bool | None]], lang: str | None = None) -> str:
    """A lesson's closing summary as Markdown: (claim, source, our measurement, holds?) per row;
    holds is True (✔ holds), False (✘ does not) or None (~ loose: true only with a caveat). Its
    headings and verdicts in ``lang`` (``current_language()`` when None)."""
    lang = lang or current_language()
    verdict = {True: tr("✔ holds", lang), False: tr("✘ does not hold", lang), None: tr("~ loose", lang)}
    lines = [tr("| claim | source | our measurement | verdict |", lang), "|---|---|---|---|"]
    lines += [f"| {claim} | {source} | {measured} | {verdict[ok]} |" for claim, source, measured, ok in rows]
    return "\n".join(lines)
