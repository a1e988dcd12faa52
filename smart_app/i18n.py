"""Translatable strings: a gettext ``_()`` wrapper for Python code and Jinja templates.

The source language is Dutch (the users are Dutch youth-care workers). Strings are marked with ``_()`` so
``pybabel extract`` / ``xgettext`` can collect them; a catalogue under ``smart_app/translations/<lang>/
LC_MESSAGES/smart_app.mo`` translates them, and without one the Dutch source text is shown.
"""

from __future__ import annotations

import gettext
from functools import cache
from pathlib import Path

DOMAIN = "smart_app"
LOCALE_DIR = Path(__file__).resolve().parent / "translations"
DEFAULT_LANGUAGE = "nl"


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True)


def gettext_for(language: str = DEFAULT_LANGUAGE) -> gettext.NullTranslations:
    return _catalogue(language)


def _(message: str) -> str:
    """Translate ``message`` into the configured language (Dutch source text as fallback)."""
    return _catalogue(DEFAULT_LANGUAGE).gettext(message)
