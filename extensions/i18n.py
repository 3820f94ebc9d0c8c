"""The project's language: gettext for the rendered files, from the catalogs in locale/.

Copier loads this extension (copier.yml, `_jinja_extensions`, through
copier-template-extensions). It turns on Jinja's i18n extension and installs a gettext that
reads the answer `language` of the render it is called in: `en` renders the text as written
in the template, any other language its translation from `locale/<ll_CC>/LC_MESSAGES/*.po`.
Each text is written once, in English, inside `{% trans %}` or `_()`; docs/i18n.md says how
to add or change one.

Only the standard library here: the extension runs in the user's copier environment, which
holds copier, copier-template-extensions and nothing of ours. The .po files are read as
they are, so there is no compiled catalog to keep in step.
"""

from __future__ import annotations

import functools
import json
import re
from pathlib import Path

from jinja2 import Environment, pass_context
from jinja2.ext import InternationalizationExtension
from jinja2.runtime import Context

LOCALE = Path(__file__).resolve().parent.parent / "locale"
SOURCE_LANGUAGE = "en"
# One PO keyword line or continuation: `msgid "..."`, `msgstr "..."`, `"..."`.
_PO_LINE = re.compile(r'^(?:(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+)?"(.*)"$')


class CatalogError(Exception):
    """A catalog that cannot be read: names the file and line."""


def read_po(path: Path) -> dict[str, str]:
    """The translations of one .po file: msgid -> msgstr, without the header, untranslated
    and fuzzy entries (gettext falls back to the English text for those)."""
    messages: dict[str, str] = {}
    entry: dict[str, str] = {}
    fuzzy = False
    current = ""

    def finish() -> None:
        nonlocal entry, fuzzy
        if entry.get("msgid") and entry.get("msgstr") and not fuzzy:
            messages[entry["msgid"]] = entry["msgstr"]
        entry, fuzzy = {}, False

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            finish()
            continue
        if line.startswith("#"):
            if entry:  # a comment starts the next entry
                finish()
            fuzzy = fuzzy or (line.startswith("#,") and "fuzzy" in line)
            continue
        match = _PO_LINE.match(line)
        if not match:
            raise CatalogError(f"{path}:{number}: not a line of a .po file: {raw!r}")
        keyword, text = match.groups()
        if keyword:
            if keyword == "msgid" and "msgid" in entry:
                finish()
            current = keyword
        elif not current:
            raise CatalogError(f"{path}:{number}: a continuation line before any msgid")
        entry[current] = entry.get(current, "") + json.loads(f'"{text}"')
    finish()
    return messages


@functools.cache
def catalog(language: str) -> dict[str, str]:
    """Every translation into ``language`` (e.g. pt-BR), from all the .po files of its
    folder (one file per part of the project, so that parts are translated independently)."""
    folder = LOCALE / language.replace("-", "_") / "LC_MESSAGES"
    files = sorted(folder.glob("*.po"))
    if not files:
        raise CatalogError(f"no translations into {language!r}: {folder} holds no .po file")
    merged: dict[str, str] = {}
    for path in files:
        merged.update(read_po(path))
    return merged


def translate(language: str, message: str) -> str:
    if language == SOURCE_LANGUAGE:
        return message
    return catalog(language).get(message, message)


def _language(context: Context) -> str:
    language = context.get("language")
    if not isinstance(language, str):
        # A macro imported without context would silently render English.
        raise CatalogError(
            f"{context.name}: a text to translate is rendered without the answer 'language'; "
            "import the macro file `with context`"
        )
    return language


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translate(_language(context), message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, count: int) -> str:
    # English plural rules; the catalogs hold no plural forms (none of our texts needs one).
    return translate(_language(context), singular if count == 1 else plural)


class ProjectLanguage(InternationalizationExtension):
    """Jinja's i18n extension (`{% trans %}`, `_()`) with a gettext that follows the
    `language` answer of the render."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.install_gettext_callables(  # type: ignore[attr-defined]
            _gettext, _ngettext, newstyle=True
        )
