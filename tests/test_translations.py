"""The Chinese lessons stay in step with the English ones, and their figures speak Chinese truthfully.

A translated lesson (``lessons/zh/NN-<topic>.json``, ``theory_lib/_translations.py``) has an entry
for every cell of the English notebook, each written from the English cell as it is now (its stored
hash matches), and its generated notebook ``lessons/zh/NN-<topic>.ipynb`` is up to date. Its
figures' strings (``theory_lib/figures/zh/<topic>.json``) are exactly those the figures translate,
with the same ``{fields}``. Its figures pass the generic figure tests in Chinese, state the same
comparisons in their readouts as in English, leave no English word, and draw every glyph (a
missing one, a tofu box, is an error). Lessons not translated yet are listed in NOT_YET.
"""

from __future__ import annotations

import json
import logging
import random
import re
import shutil
import string
import warnings
from pathlib import Path

import nbformat
import pytest

from theory_lib import _translations as T
from theory_lib.figures.base import FIGURES
from theory_lib.figures.language import set_language, table_dir, tr

ROOT = Path(__file__).resolve().parent.parent
LESSONS = {p.stem[3:].replace("-", "_"): p for p in sorted((ROOT / "lessons").glob("[0-9][0-9]-*.ipynb"))}
# Lessons with no Chinese version yet: remove a topic when its translation lands (the test below
# fails for a listed topic that has one, so this list can only shrink).
NOT_YET: set[str] = set()
TRANSLATED = sorted(set(LESSONS) - NOT_YET)


@pytest.mark.parametrize("topic", sorted(LESSONS))
def test_every_lesson_has_its_translation_in_step(topic):
    lesson = LESSONS[topic]
    if topic in NOT_YET:
        assert not T.translation_path(lesson).exists(), f"{topic} is translated: remove it from NOT_YET"
        pytest.skip(f"lesson {topic} has no Chinese version yet")
    found = T.problems(lesson)
    assert not found, "\n".join(found) + f"\nSee: python -m theory_lib._translations todo {lesson.stem}"
    out = T.generated_path(lesson)
    assert out.is_file() and out.read_text(encoding="utf-8") == T.rendered(lesson), (
        f"{out.relative_to(ROOT)} is not what its translation gives: run `make lessons`"
    )
    code = [c.source for c in nbformat.read(out, as_version=4).cells if c.cell_type == "code"]
    assert 'set_language("zh")' in code[0], "the Chinese lesson's first code cell sets the figures' language"
    assert (table_dir("zh") / f"{topic}.json").is_file(), f"{topic}'s figures have no Chinese strings"


def test_a_changed_english_cell_or_a_missing_entry_is_caught(tmp_path):
    """Copies of lesson 01 and its translation: edit an English cell, drop an entry, add a stray one."""
    lesson = tmp_path / LESSONS["softmax"].name
    shutil.copy(LESSONS["softmax"], lesson)
    (tmp_path / "zh").mkdir()
    shutil.copy(T.translation_path(LESSONS["softmax"]), T.translation_path(lesson))
    assert T.problems(lesson) == []
    notebook = nbformat.read(lesson, as_version=4)
    notebook.cells[5].source = notebook.cells[5].source.replace("spread", "range", 1)
    nbformat.write(notebook, lesson)
    assert T.problems(lesson) == [
        f"{T.translation_path(lesson)}: cell 5 ({notebook.cells[5].id}) changed after "
        "its translation was written: stale"
    ]
    data = json.loads(T.translation_path(lesson).read_text(encoding="utf-8"))
    del data["cells"][notebook.cells[0].id]
    data["cells"]["no-such-cell"] = {"en_sha": "0", "zh": "?"}
    T.translation_path(lesson).write_text(json.dumps(data), encoding="utf-8")
    found = "\n".join(T.problems(lesson))
    assert "cell 0" in found and "has no translation" in found and "no-such-cell belongs to no cell" in found
    T._stamp(lesson, [notebook.cells[5].id, notebook.cells[0].id])  # what a maintainer runs after translating
    assert "cell 0" in "\n".join(T.problems(lesson)) and "empty translation" in "\n".join(T.problems(lesson))


# ---------------------------------------------------------------- the strings figures draw
def _fields(template: str) -> list:
    """The named {fields} a template fills (not mathtext's braces, as in $a_{k+1}$, $\\log_{10}$ or
    $\\sqrt{c}$: a Chinese text draws its maths in Unicode, outside mathtext, which has no CJK glyphs).
    A field inside mathtext is written in escaped braces, $\\sqrt{{{d}}}$, and counts."""

    def fields_only(match):
        return " ".join("{" + name + "}" for name in re.findall(r"\{\{\{(\w+)\}\}\}", match.group(0)))

    parsed = string.Formatter().parse(re.sub(r"\$[^$]*\$", fields_only, template))
    return sorted((name, spec) for _, name, spec, _ in parsed if name and name.isidentifier())


@pytest.mark.parametrize("topic", [*TRANSLATED, "exercises"])
def test_figure_strings_are_exactly_those_translated(topic):
    table = json.loads((table_dir("zh") / f"{topic}.json").read_text(encoding="utf-8"))
    needed = T.figure_strings(topic)
    assert not needed - set(table), (
        f"no Chinese for {sorted(needed - set(table))} in theory_lib/figures/zh/{topic}.json"
    )
    assert not set(table) - needed, (
        f"theory_lib/figures/zh/{topic}.json has unused entries {sorted(set(table) - needed)}"
    )
    for en, zh in table.items():
        assert _fields(en) == _fields(zh), f"{en!r} and its translation {zh!r} fill different fields"
        assert zh != en, f"{en!r} is not translated"


def test_a_new_or_changed_figure_string_is_caught(tmp_path):
    module = tmp_path / "figure.py"
    module.write_text('self.ax.set_title(self.tr("spread on a log scale, changed"))\nfig.tr("never uniform")\n')
    assert T.tr_literals(module) == {"spread on a log scale, changed", "never uniform"}
    assert tr("never uniform", "zh") == "永不均匀"
    with pytest.raises(LookupError, match="theory_lib/figures/zh"):
        tr("spread on a log scale, changed", "zh")


# ---------------------------------------------------------------- the Chinese figures
for topic in TRANSLATED:  # import the translated topics' figures (the registry fills on import)
    __import__(f"theory_lib.figures.{topic}")
ZH_FIGURES = sorted(n for n in FIGURES if n.split(".")[0] in TRANSLATED)


class _GlyphLog(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


@pytest.fixture
def chinese():
    """Figures made in the test speak Chinese; a missing glyph (a box) or font fails it."""
    log = _GlyphLog()
    loggers = [logging.getLogger(n) for n in ("matplotlib.mathtext", "matplotlib.font_manager")]
    for logger in loggers:
        logger.addHandler(log)
    set_language("zh")
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("error", message=".*missing from font", category=UserWarning)
            warnings.filterwarnings("error", message="no CJK font", category=UserWarning)
            yield
    finally:
        set_language("en")
        for logger in loggers:
            logger.removeHandler(log)
    assert not log.messages, f"fonts: {log.messages[:3]}"


GENERIC = [
    "test_sweep_every_control",
    "test_live_canvas_equals_a_fresh_render",
    "test_a_rejected_value_leaves_the_figure_working",
    "test_widget_drives_the_figure",
]


@pytest.mark.parametrize("test", GENERIC)
@pytest.mark.parametrize("name", ZH_FIGURES)
def test_generic_figure_tests_hold_in_chinese(name, test, chinese):
    from tests import test_figures

    getattr(test_figures, test)(name)


def _comparisons(readout: str):
    from tests.test_figures import COMPARISON, _number

    text = re.sub(r"<[^>]+>", "", readout).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return [(_number(m.group(1)), m.group(2), _number(m.group(4))) for m in COMPARISON.finditer(text)]


ENGLISH_WORD = re.compile(r"[A-Za-z]{3,}")
CODE_WORDS = {"softmax", "sinh", "tanh", "log", "float", "one", "hot", "random", "custom"}
# lessons 05 and 06: operations named in formulas (max, exp, argmax, onehot, sign, λ_min) and Adam
CODE_WORDS |= {"max", "exp", "argmax", "onehot", "sign", "Adam", "min"}
# lesson 04: the names Su keeps in Latin letters in Chinese, and its Norm control's options
CODE_WORDS |= {"Post", "Pre", "Norm", "post", "pre", "Xavier", "Adam", "MLM", "warmup", "logits"}
# lessons 07 and 08: the cells' names, PyTorch, and cos in the cap cos θ > 1/φ
CODE_WORDS |= {"RNN", "LSTM", "GRU", "rnn", "lstm", "gru", "relu", "PyTorch", "max", "cos"}
# lessons 02 and 03: sin, and the options of their samplers, activations and weight laws as the controls show them
CODE_WORDS |= {"sin", "beta", "vectors", "linear", "normal", "uniform", "rademacher"}
# lesson 13: the method's name as Su writes it in Chinese, and the optimizer control's option
CODE_WORDS |= {"Flooding", "SGD"}
# lesson 12: the method's name as Su writes it in Chinese
CODE_WORDS |= {"FGM"}
# lesson 11: Gumbel Max and Gumbel Softmax as Su writes them in Chinese, SF (score function) and Var
CODE_WORDS |= {"Gumbel", "Max", "Softmax", "SF", "Var"}
# lesson 09: the words Su keeps in Latin letters in Chinese (Attention, query, key, token, Mask), elu of elu + 1,
# and the cumsum mode as the code names it
CODE_WORDS |= {"Attention", "query", "key", "token", "Mask", "elu", "cumsum"}
# lesson 14: Sinkhorn and CAN as Su writes them in Chinese, and the subscripts of τ_train and τ_post
CODE_WORDS |= {"Sinkhorn", "CAN", "train"}
# lesson 16: the distances by their names as Su writes them (EMD, WMD, WCD, WRD), CDF, and the cost options as the
# code names them
CODE_WORDS |= {"EMD", "WMD", "WCD", "WRD", "CDF", "euclidean", "rms", "cosine"}
# lesson 17: the logistic (sigmoid) form, erf and GELU as Su writes them, and the figure's level and a options
CODE_WORDS |= {"logistic", "sigmoid", "erf", "GELU", "gelu", "phi", "fixed", "free"}
# lesson 18: the two papers by their venues, as Su names them in Chinese (ICCV, WACV)
CODE_WORDS |= {"ICCV", "WACV"}


def _texts(fig) -> list[str]:
    texts = [fig.readout]
    for ax in fig.fig.axes:
        texts += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel(), *(t.get_text() for t in ax.texts)]
        if ax.get_legend():
            texts += [t.get_text() for t in ax.get_legend().get_texts()]
    return texts


@pytest.mark.parametrize("name", ZH_FIGURES)
def test_chinese_readouts_state_what_the_english_ones_do(name, chinese):
    """At the defaults and at each control's samples: the same comparisons, parsed from the Chinese
    readout, as from the English one; and no English word left in any text the figure draws."""
    cls = FIGURES[name]
    zh, en = cls(offscreen=True, lang="zh"), cls(offscreen=True, lang="en")
    rng = random.Random(2)
    try:
        for control, spec in [(None, None), *cls.controls.items()]:
            for value in [None] if control is None else spec.samples(rng, 1):
                move = {} if control is None else {control: value}
                zh.update(**move)
                en.update(**move)
                assert _comparisons(zh.readout) == _comparisons(en.readout), (
                    f"{name} at {zh.params}:\n{zh.readout}\n{en.readout}"
                )
                words = {w for t in _texts(zh) for w in ENGLISH_WORD.findall(re.sub(r"\$[^$]*\$|<[^>]+>|&\w+;", "", t))}
                assert words <= CODE_WORDS, f"{name} at {zh.params}: English left in Chinese: {words - CODE_WORDS}"
    finally:
        zh.close()
        en.close()


def test_the_glyph_check_catches_a_missing_font(chinese, monkeypatch):
    """Drawn without a CJK font, a Chinese title is boxes: the check turns that into an error."""
    from theory_lib.figures import style
    from theory_lib.figures.softmax import ContractionFigure

    monkeypatch.setattr(style, "_cjk_fonts", lambda: ())  # as on a machine without fonts-noto-cjk
    fig = ContractionFigure(offscreen=True, lang="zh")
    with pytest.raises(UserWarning, match="missing from font"):
        fig.fig.canvas.draw()
    fig.close()


def test_a_refused_text_box_value_is_said_in_the_figures_language():
    """A value typed into a text box and refused shows in red in the readout, in the figure's language."""
    from theory_lib.figures.smoothing import SmoothMaxFigure

    for lang, said in (("zh", "向量必须是用逗号分隔的数"), ("en", "vector must be numbers separated by commas")):
        fig = SmoothMaxFigure(lang=lang)
        fig.widget()
        try:
            fig._controls["vector"].value = "1, x"
            assert said in fig._readout_widget.value and "#b00" in fig._readout_widget.value
        finally:
            fig.close()
