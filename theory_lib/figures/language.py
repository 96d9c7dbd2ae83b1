"""The language a figure speaks: English, or Chinese from the tables in ``theory_lib/figures/zh/``.

A figure writes each text it draws (title, axis label, legend, readout, exercise) in English as a
format template and looks it up in its own language, keeping the numbers computed:

    self.tr("τ = {t} &gt; 1/n = {c}: the uniform point repels").format(t=t, c=c)

``tr(text, "en")`` is ``text``; ``tr(text, "zh")`` is the Chinese template stored for it in
``theory_lib/figures/zh/<topic>.json`` (``{"English template": "中文模板"}``, one file per lesson's
figures, ``exercises.json`` for the shared exercise layer). A string with no translation raises
``LookupError`` naming the file to add it to, so a forgotten one fails the tests instead of showing
English. ``tests/test_translations.py`` checks that every ``tr("...")`` literal in a translated
topic's modules has its entry, that no entry is unused, and that both templates have the same
``{fields}``. A figure built without ``lang=`` speaks ``current_language()``, which a lesson sets
once (``set_language("zh")`` in the Chinese lessons).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

__all__ = ["LANGUAGES", "Refused", "check_language", "current_language", "set_language", "table_dir", "tr"]

LANGUAGES = ("en", "zh")
_current = {"lang": "en"}


def check_language(lang: str) -> str:
    """``lang`` if it is one of LANGUAGES; ValueError naming it otherwise."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {list(LANGUAGES)}, got {lang!r}")
    return lang


def set_language(lang: str) -> None:
    """The language of figures, exercises and summary tables made from now on (without ``lang=``)."""
    _current["lang"] = check_language(lang)


def current_language() -> str:
    return _current["lang"]


def table_dir(lang: str) -> Path:
    """The folder of ``lang``'s tables: ``theory_lib/figures/<lang>/``."""
    return Path(__file__).parent / check_language(lang)


@functools.cache
def _table(lang: str) -> dict[str, tuple[str, str]]:
    """Every entry of ``lang``'s tables: English -> (translation, file it comes from)."""
    merged = {}
    for path in sorted(table_dir(lang).glob("*.json")):
        for en, text in json.loads(path.read_text(encoding="utf-8")).items():
            if en in merged and merged[en][0] != text:
                raise ValueError(f"{en!r} is translated differently in {merged[en][1]} and {path.name}")
            merged[en] = (text, path.name)
    return merged


def tr(text: str, lang: str) -> str:
    """``text`` (an English format template) in ``lang``; LookupError where no translation is stored."""
    if check_language(lang) == "en":
        return text
    try:
        return _table(lang)[text][0]
    except KeyError:
        raise LookupError(
            f"no {lang} translation of {text!r}: add it to theory_lib/figures/{lang}/<topic>.json"
        ) from None


class Refused(ValueError):
    """A value a figure refuses, with a message it can show in its language (the red readout).

    ``Refused("vector needs 2 to {most} entries, got {n}", most=40, n=1)``: ``str()`` is the English,
    ``text(lang)`` the same through ``tr``; the template is a translation key like a ``tr`` literal."""

    def __init__(self, template: str, **fields):
        self.template, self.fields = template, fields
        super().__init__(template.format(**fields))

    def text(self, lang: str) -> str:
        return tr(self.template, lang).format(**self.fields)
