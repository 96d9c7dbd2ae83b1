"""Chinese lessons from the English ones: one source of truth, and a test that they stay in step.

The English lesson (``lessons/NN-<topic>.ipynb``, twin of the reviewed ``.py``) is the structure.
Its translation, ``lessons/zh/NN-<topic>.json``, holds one entry per cell, keyed by the cell's id:

    "8dce5395": {"en_sha": "3f2a…", "zh": ["# 01 · 反复 softmax …", "", "…"]}
    "c7be2296": {"en_sha": "9b1c…", "keep": true}       # a code cell used as it is

``en_sha`` is the hash (``en_sha``) of the English cell the translation was written from: when the
English cell changes, the entry is stale and ``problems`` says so (and so does
``tests/test_translations.py``), as it does for a cell with no entry and an entry with no cell.
``build`` writes ``lessons/zh/NN-<topic>.ipynb``: the English notebook's cells, ids and metadata, each
cell's source replaced by its translation. The strings the figures draw are translated in
``theory_lib/figures/zh/<topic>.json`` (``theory_lib/figures/language.py``); ``figure_strings`` lists
the ones a topic needs.

    python -m theory_lib._translations build            # write every lessons/zh/*.ipynb (make lessons)
    python -m theory_lib._translations todo 01-softmax  # stale and missing cells, the English to translate
    python -m theory_lib._translations stamp 01-softmax 8dce5395 …  # translation updated: record the new hash
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "lessons"
FIGURE_DIR = ROOT / "theory_lib" / "figures"


def en_sha(source: str) -> str:
    """The hash of an English cell as stored with its translation: sha256 of the stripped source, 16 hex digits."""
    return hashlib.sha256(source.strip().encode("utf-8")).hexdigest()[:16]


def translation_path(lesson: Path, lang: str = "zh") -> Path:
    """``lessons/NN-<topic>.ipynb`` -> ``lessons/<lang>/NN-<topic>.json``."""
    return lesson.parent / lang / f"{lesson.stem}.json"


def _source(entry) -> str:
    return "\n".join(entry) if isinstance(entry, list) else entry


def _read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def problems(lesson: Path, lang: str = "zh") -> list[str]:
    """Every way ``lesson``'s translation is out of step with it: missing, stale or orphan entries."""
    import nbformat

    path = translation_path(lesson, lang)
    if not path.is_file():
        return [f"{lesson.name} has no translation {path.relative_to(lesson.parent)}"]
    cells, entries = nbformat.read(lesson, as_version=4).cells, _read(path)["cells"]
    found = []
    for i, cell in enumerate(cells):
        entry = entries.get(cell.id)
        if entry is None:
            found.append(f"cell {i} ({cell.id}, {cell.cell_type}) has no translation")
        elif entry["en_sha"] != en_sha(cell.source):
            found.append(f"cell {i} ({cell.id}) changed after its translation was written: stale")
        elif not entry.get("keep") and not _source(entry.get("zh", "")).strip():
            found.append(f"cell {i} ({cell.id}) has an empty translation")
        elif entry.get("keep") and cell.cell_type == "markdown":
            found.append(f"cell {i} ({cell.id}) is prose: it needs a translation, not keep")
    orphans = sorted(set(entries) - {c.id for c in cells})
    found += [f"entry {key} belongs to no cell of {lesson.name} (the cell was removed or re-made)" for key in orphans]
    return [f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}: {p}" for p in found]


def build(lesson: Path, lang: str = "zh"):
    """The translated notebook: ``lesson``'s cells and metadata, each source replaced by its translation."""
    import nbformat

    notebook = nbformat.read(lesson, as_version=4)
    entries = _read(translation_path(lesson, lang))["cells"]
    notebook.metadata.pop("jupytext", None)  # generated, not paired: edit the translation, not the notebook
    notebook.metadata["language_info"] = {**notebook.metadata.get("language_info", {}), "name": "python"}
    for cell in notebook.cells:
        entry = entries.get(cell.id, {})
        if not entry.get("keep") and "zh" in entry:
            cell.source = _source(entry["zh"])
    return notebook


def generated_path(lesson: Path, lang: str = "zh") -> Path:
    return lesson.parent / lang / lesson.name


def rendered(lesson: Path, lang: str = "zh") -> str:
    """The generated notebook's text, as ``write`` stores it."""
    import nbformat

    return nbformat.writes(build(lesson, lang)) + "\n"


def write(lesson: Path, lang: str = "zh") -> Path:
    out = generated_path(lesson, lang)
    out.write_text(rendered(lesson, lang), encoding="utf-8")
    return out


def translated_lessons(lang: str = "zh") -> list[Path]:
    """The English lessons that have a translation file."""
    return [p for p in sorted(LESSONS.glob("[0-9][0-9]-*.ipynb")) if translation_path(p, lang).is_file()]


# ---------------------------------------------------------------- the strings figures draw
def tr_literals(path: Path) -> set[str]:
    """The string literals a module passes to ``tr(...)``, ``self.tr(...)``, ``fig.tr(...)``, ``Refused(...)``
    or ``stage(...)`` (a training figure's progress label)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", None)
            if name in ("tr", "Refused", "stage") and isinstance(node.args[0].value, str):
                found.add(node.args[0].value)
    return found


def figure_strings(topic: str) -> set[str]:
    """The English strings the figures of ``topic`` translate: ``tr`` literals in its modules, its
    controls' labels (the widget's descriptions) and its exercises' questions. The shared exercise
    layer is the topic "exercises" (the ``tr`` literals of exercises.py and of background.py, the
    progress row of training figures, and the exercise kinds)."""
    if topic == "exercises":
        from theory_lib.figures.exercises import KINDS

        shared = tr_literals(FIGURE_DIR / "exercises.py") | tr_literals(FIGURE_DIR / "background.py")
        return shared | set(KINDS.values())
    package = FIGURE_DIR / topic
    files = sorted(package.rglob("*.py")) if package.is_dir() else [FIGURE_DIR / f"{topic}.py"]
    strings = set().union(*(tr_literals(f) for f in files))
    module = importlib.import_module(f"theory_lib.figures.{topic}")  # its figures join the registry
    from theory_lib.figures.base import FIGURES

    for name, cls in FIGURES.items():
        if name.split(".")[0] == topic:
            strings |= {spec.label or control for control, spec in cls.controls.items()}
    strings |= {ex.question for ex in getattr(module, "EXERCISES", [])}
    return strings


# ---------------------------------------------------------------- the maintainer's commands
def _lesson(name: str) -> Path:
    matches = sorted(LESSONS.glob(f"{name.removesuffix('.ipynb')}*.ipynb"))
    if len(matches) != 1:
        raise SystemExit(f"no single lesson matches {name!r}: {[m.name for m in matches]}")
    return matches[0]


def _todo(lesson: Path, lang: str = "zh") -> None:
    import nbformat

    entries = _read(translation_path(lesson, lang))["cells"] if translation_path(lesson, lang).is_file() else {}
    for cell in nbformat.read(lesson, as_version=4).cells:
        entry = entries.get(cell.id)
        if entry is None or entry["en_sha"] != en_sha(cell.source):
            state = "missing" if entry is None else "stale"
            print(f"--- {cell.id} ({cell.cell_type}, {state}); en_sha once translated: {en_sha(cell.source)}")
            print(cell.source, end="\n\n")
    for line in problems(lesson, lang):
        print(line)


def _stamp(lesson: Path, ids: list[str], lang: str = "zh") -> None:
    import nbformat

    path = translation_path(lesson, lang)
    data = _read(path)
    sources = {c.id: c.source for c in nbformat.read(lesson, as_version=4).cells}
    for cell_id in ids:
        if cell_id not in sources:
            raise SystemExit(f"{lesson.name} has no cell {cell_id!r}")
        data["cells"].setdefault(cell_id, {"zh": ""})["en_sha"] = en_sha(sources[cell_id])
    order = list(sources)
    data["cells"] = dict(sorted(data["cells"].items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 1e9))
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def main(argv: list[str]) -> None:
    if argv[:1] == ["build"]:
        for lesson in translated_lessons():
            print("wrote", write(lesson).relative_to(ROOT))
    elif len(argv) == 2 and argv[0] == "todo":
        _todo(_lesson(argv[1]))
    elif len(argv) >= 3 and argv[0] == "stamp":
        _stamp(_lesson(argv[1]), argv[2:])
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
