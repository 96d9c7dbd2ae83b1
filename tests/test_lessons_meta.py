"""Lessons are stored clean, their text form and notebook agree, and they follow the contract's visible parts.

A lesson is written as jupytext percent text (``lessons/NN-<topic>.py``: prose as comments, code as
code; ruff lints it, a diff reads like prose and code) and paired with its notebook
(``lessons/NN-<topic>.ipynb``, what JupyterLab, Binder, Voila and nbmake open).
"""

from __future__ import annotations

import json
from pathlib import Path

import jupytext
import nbformat
import pytest

LESSONS = sorted((Path(__file__).parent.parent / "lessons").glob("[0-9][0-9]-*.ipynb"))


def test_there_are_lessons():
    assert LESSONS, "no lessons found"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    dirty = [
        i for i, c in enumerate(cells) if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))
    ]
    assert not dirty, f"{path.name}: cells {dirty} carry outputs or execution counts; clear them"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_opens_with_title_question_and_source(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    first = "".join(cells[0]["source"])
    assert cells[0]["cell_type"] == "markdown" and first.startswith(f"# {path.name[:2]} ·")
    assert "question" in first.lower()
    assert "《" in first, "the first cell names the original article by its Chinese title"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_live_figures_in_jupyterlab_agg_in_tests(path):
    """Figures are live (ipympl) for a learner, Agg when the tests set MPLBACKEND."""
    code = "\n".join(
        "".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"
    )
    # ipykernel sets MPLBACKEND to its inline backend in every kernel, so test for Agg, not absence
    assert 'if os.environ.get("MPLBACKEND", "").lower() != "agg":' in code
    assert 'get_ipython().run_line_magic("matplotlib", "widget")' in code
    assert ".widget()" in code, "a lesson shows at least one interactive figure"


def out_of_sync(path: Path) -> str | None:
    """Why the notebook ``path`` and its text form disagree, or None: the .py is the source, the .ipynb its twin."""
    text = path.with_suffix(".py")
    if not text.is_file():
        return f"{path.name} has no text form {text.name}: jupytext --set-formats ipynb,py:percent {path}"
    notebook = nbformat.read(path, as_version=4)
    if notebook.metadata.get("jupytext", {}).get("formats") != "ipynb,py:percent":
        return f"{path.name} is not paired with its text form: jupytext --set-formats ipynb,py:percent {path}"
    ours = [(c.cell_type, c.source.strip()) for c in notebook.cells]
    theirs = [(c.cell_type, c.source.strip()) for c in jupytext.read(text).cells]
    differ = [i for i, (a, b) in enumerate(zip(ours, theirs, strict=False)) if a != b]
    if len(ours) != len(theirs) or differ:
        return (
            f"{path.name} and {text.name} are out of sync ({len(ours)} vs {len(theirs)} cells, first differing "
            f"cell {differ[:1]}): edit the .py and run `make lessons` (jupytext --sync)"
        )
    return None


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_text_form_and_notebook_agree(path):
    assert out_of_sync(path) is None, out_of_sync(path)


def test_an_edit_to_one_twin_alone_is_caught(tmp_path):
    lesson = LESSONS[0]
    for suffix in (".ipynb", ".py"):
        (tmp_path / lesson.name).with_suffix(suffix).write_bytes(lesson.with_suffix(suffix).read_bytes())
    copy = tmp_path / lesson.name
    assert out_of_sync(copy) is None
    text = copy.with_suffix(".py")
    text.write_text(text.read_text(encoding="utf-8").replace("import math", "import cmath", 1), encoding="utf-8")
    assert "out of sync" in out_of_sync(copy)
    text.unlink()
    assert "has no text form" in out_of_sync(copy)
