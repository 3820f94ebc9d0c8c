"""The project's language: every text has its pt-BR translation, and a pt-BR project reads
in Portuguese (docs/i18n.md)."""

from __future__ import annotations

import functools
from pathlib import Path

import i18n
import pytest
from babel.messages.pofile import read_po

from conftest import MATRIX, Rendered

ROOT = Path(__file__).resolve().parent.parent


EXTENSION = i18n.render_extension()
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


# ─── A project in Portuguese ─────────────────────────────────────────────────────────────

PORTUGUESE = sorted(name for name, answers in MATRIX.items() if answers.get("language") == "pt-BR")
# The rendered files whose prose is translated (issue 19): what a team reads.
TRANSLATED = ["README.md", "docs/architecture.md", "config/*.yaml", "*/*/runtime/README.md"]


@functools.cache
def english_lines() -> frozenset[str]:
    """The English lines of every translated text that a Portuguese render must not show:
    four words or more, without placeholders, and not the same in both languages."""
    lines: set[str] = set()
    for path in CATALOGS:
        with path.open("rb") as handle:
            for message in read_po(handle):
                if not message.id or message.string == message.id:
                    continue
                for line in message.id.splitlines():
                    line = line.strip()
                    if len(line.split()) >= 4 and "%(" not in line and line not in message.string:
                        lines.add(line)
    return frozenset(lines)


def test_the_catalogs_hold_texts_a_render_can_be_checked_against() -> None:
    assert len(english_lines()) >= 10


@pytest.mark.parametrize("name", PORTUGUESE, ids=str)
def test_a_portuguese_project_shows_no_english_text(
    name: str, rendered_variants: dict[str, Rendered]
) -> None:
    project = rendered_variants[name].project_dir
    files = sorted({path for pattern in TRANSLATED for path in project.glob(pattern)})
    assert project / "README.md" in files and list(project.glob("config/*.yaml"))
    english = english_lines()
    left = [
        f"{path.relative_to(project)}: {line}"
        for path in files
        for line in english
        if line in path.read_text(encoding="utf-8")
    ]
    assert left == []
