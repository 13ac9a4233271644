"""The screen's texts, from a translation file per language (ui/locale/<lang>.json; English first).

A JSON catalogue keyed by message id with str.format placeholders: the same shape i18next and most web
kitchens' tools use, editable without Qt's tools. A missing key shows the key itself, never nothing.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

LOCALE_DIR = Path(__file__).with_name("locale")
_language = "en"


def set_language(lang: str) -> None:
    global _language
    _language = lang


@cache
def catalogue(lang: str) -> dict[str, str]:
    path = LOCALE_DIR / f"{lang}.json"
    english: dict[str, str] = json.loads((LOCALE_DIR / "en.json").read_text(encoding="utf-8"))
    if lang == "en" or not path.exists():
        return english
    return {**english, **json.loads(path.read_text(encoding="utf-8"))}


def tr(key: str, **values: Any) -> str:
    text = catalogue(_language).get(key, key)
    return text.format(**values) if values else text
