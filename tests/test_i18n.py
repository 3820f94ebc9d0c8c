"""The project's language: every text has its pt-BR translation, and a pt-BR project reads
in Portuguese (docs/i18n.md)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import i18n
import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def _extension():
    spec = importlib.util.spec_from_file_location("template_i18n", ROOT / "extensions" / "i18n.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


EXTENSION = _extension()
CATALOGS = sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po"))


def test_every_text_has_its_translation_and_every_translation_its_text() -> None:
    assert i18n.problems() == []


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_the_render_reads_each_catalog_as_babel_does(path: Path) -> None:
    # The extension reads .po files with a small reader of its own (copier's environment has
    # no Babel): it must find the same translations, escapes and continued lines included.
    with path.open("rb") as handle:
        expected = {m.id: m.string for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    assert EXTENSION.read_po(path) == expected


def test_a_fuzzy_or_empty_translation_falls_back_to_english(tmp_path: Path) -> None:
    catalog = tmp_path / "part.po"
    catalog.write_text(
        'msgid ""\nmsgstr "Language: pt_BR\\n"\n\n'
        '#, fuzzy\nmsgid "Deploy"\nmsgstr "Implantar"\n\n'
        'msgid "Empty"\nmsgstr ""\n\n'
        'msgid "Two\\n"\n"lines"\nmsgstr ""\n"Duas\\n"\n"linhas \\"aqui\\""\n',
        encoding="utf-8",
    )
    assert EXTENSION.read_po(catalog) == {"Two\nlines": 'Duas\nlinhas "aqui"'}


def test_a_broken_catalog_names_its_file_and_line(tmp_path: Path) -> None:
    catalog = tmp_path / "part.po"
    catalog.write_text('msgid "A"\nmsgstr "B"\nnonsense\n', encoding="utf-8")
    with pytest.raises(EXTENSION.CatalogError, match=r"part\.po:3: not a line of a \.po file"):
        EXTENSION.read_po(catalog)
