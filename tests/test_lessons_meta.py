"""Lessons are stored clean and follow the lesson contract's visible parts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

LESSONS = sorted((Path(__file__).parent.parent / "lessons").glob("[0-9][0-9]-*.ipynb"))


def test_there_are_lessons():
    assert LESSONS, "no lessons found"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_stored_without_outputs(path):
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    dirty = [i for i, c in enumerate(cells)
             if c["cell_type"] == "code" and (c.get("outputs") or c.get("execution_count"))]
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
    code = "\n".join("".join(c["source"]) for c in json.loads(path.read_text(encoding="utf-8"))["cells"]
                     if c["cell_type"] == "code")
    # ipykernel sets MPLBACKEND to its inline backend in every kernel, so test for Agg, not absence
    assert 'if os.environ.get("MPLBACKEND", "").lower() != "agg":' in code and "%matplotlib widget" in code
    assert ".widget()" in code, "a lesson shows at least one interactive figure"
