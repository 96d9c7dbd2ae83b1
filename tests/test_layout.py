"""The project's layout: one name per topic in every layer, modules a reader can hold, a map that matches.

A lesson ``lessons/NN-<topic>.ipynb`` (a hyphen in the file name stands for an underscore) has its
maths in ``theory_lib/<topic>``, its figures in ``theory_lib/figures/<topic>``, its tests in
``tests/test_<topic>.py`` and ``tests/test_<topic>_figures.py``, and its text form in
``lessons/NN-<topic>.py``. The checklist for adding one is in docs/architecture.md.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
GUIDE = "docs/architecture.md (section 'Adding a lesson')"
MAX_LINES = 450  # "about 400": a module a reader can hold; the lessons' prose is not counted
SHARED_FIGURE_MODULES = {
    *("__init__", "background", "base", "controls", "exercises", "language", "redraw", "style", "web"),
}
LESSON_NAME = re.compile(r"^(\d\d)-([a-z][a-z0-9-]*)$")


def _module(folder: Path, name: str) -> bool:
    return (folder / f"{name}.py").is_file() or (folder / name / "__init__.py").is_file()


def _public_modules(folder: Path, shared=frozenset()) -> set[str]:
    names = {p.stem for p in folder.glob("*.py")} | {p.parent.name for p in folder.glob("*/__init__.py")}
    return {n for n in names if not n.startswith("_") and n not in shared and n != "figures"}


def topic_problems(root: Path) -> list[str]:
    """Every way the tree under ``root`` breaks the one-name-per-topic rule, as readable lines."""
    problems = []
    topics = {}
    for nb in sorted((root / "lessons").glob("*.ipynb")):
        match = LESSON_NAME.match(nb.stem)
        if not match:
            problems.append(f"lessons/{nb.name}: a lesson is named NN-<topic>.ipynb (lower case, hyphens)")
            continue
        topic = match[2].replace("-", "_")
        if topic in topics:
            problems.append(f"lessons/{nb.name}: topic {topic!r} already belongs to lesson {topics[topic]}")
        topics[topic] = match[1]
        needed = {
            f"theory_lib/{topic}.py (or a package theory_lib/{topic}/)": _module(root / "theory_lib", topic),
            f"theory_lib/figures/{topic}.py (or a package)": _module(root / "theory_lib" / "figures", topic),
            f"tests/test_{topic}.py": (root / "tests" / f"test_{topic}.py").is_file(),
            f"tests/test_{topic}_figures.py": (root / "tests" / f"test_{topic}_figures.py").is_file(),
            f"lessons/{nb.stem}.py (its text form: jupytext --set-formats ipynb,py:percent)": nb.with_suffix(
                ".py"
            ).is_file(),
        }
        problems += [f"lesson {nb.name} has no {what}" for what, ok in needed.items() if not ok]
    for text in sorted((root / "lessons").glob("*.py")):
        if not text.with_suffix(".ipynb").is_file():
            problems.append(f"lessons/{text.name} has no notebook twin {text.stem}.ipynb (jupytext --sync)")
    for layer, shared in (("theory_lib", frozenset()), ("theory_lib/figures", SHARED_FIGURE_MODULES)):
        for name in sorted(_public_modules(root / layer, shared) - set(topics)):
            problems.append(
                f"{layer}/{name} is no lesson's topic: name it after its lesson, or make it private (_{name})"
            )
    return problems


def test_every_topic_has_one_name_in_every_layer():
    problems = topic_problems(ROOT)
    assert not problems, "\n".join(problems) + f"\nSee {GUIDE}."


def test_the_check_catches_a_topic_without_its_files(tmp_path):
    """An empty new topic, and a module without a lesson, are both reported with what is missing."""
    for folder in ("lessons", "theory_lib/figures", "tests"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "lessons" / "09-new-topic.ipynb").write_text("{}")
    (tmp_path / "theory_lib" / "orphan.py").write_text("")
    (tmp_path / "lessons" / "Lesson.ipynb").write_text("{}")
    problems = "\n".join(topic_problems(tmp_path))
    for missing in (
        "theory_lib/new_topic.py",
        "theory_lib/figures/new_topic.py",
        "tests/test_new_topic.py",
        "tests/test_new_topic_figures.py",
        "lessons/09-new-topic.py",
        "theory_lib/orphan is no lesson's",
        "lessons/Lesson.ipynb: a lesson is named",
    ):
        assert missing in problems
    for path in (
        "theory_lib/new_topic.py",
        "theory_lib/figures/new_topic.py",
        "tests/test_new_topic.py",
        "tests/test_new_topic_figures.py",
        "lessons/09-new-topic.py",
    ):
        (tmp_path / path).write_text("")
    (tmp_path / "theory_lib" / "orphan.py").rename(tmp_path / "theory_lib" / "_orphan.py")
    (tmp_path / "lessons" / "Lesson.ipynb").unlink()
    assert topic_problems(tmp_path) == []


def _python_files():
    for folder in ("theory_lib", "tests", "benchmarks"):
        yield from sorted((ROOT / folder).rglob("*.py"))
    yield ROOT / "conftest.py"


@pytest.mark.parametrize("path", list(_python_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_a_reader_can_hold(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines: split it by concept (limit {MAX_LINES})"


@pytest.mark.parametrize(
    "path",
    [p for p in _python_files() if p.name != "__init__.py" or p.stat().st_size],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_a_module_opens_with_a_docstring(path):
    text = path.read_text(encoding="utf-8").lstrip()
    assert text.startswith(('"""', 'r"""')), f"{path.relative_to(ROOT)} opens without a docstring saying what it is"


def test_the_architecture_page_matches_the_tree():
    """Every path docs/architecture.md names (in backticks, without a <placeholder>) exists."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`((?:theory_lib|tests|lessons|docs|benchmarks|binder|\.ci)/[^`<>*\s]*)`", page))
    assert len(named) >= 10, "the page should name the files it describes"
    missing = sorted(p for p in named if not (ROOT / p).exists())
    assert not missing, f"docs/architecture.md names files that do not exist: {missing}"
