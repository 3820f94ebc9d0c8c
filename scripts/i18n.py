"""The texts the template translates, and their catalogs in locale/ (docs/i18n.md).

    python scripts/i18n.py update   # add new texts to the catalogs, drop the ones gone
    python scripts/i18n.py check    # what is untranslated, fuzzy or obsolete (exit 1 if any)

A text to translate is written once, in English, in a template: inside `{% trans %}` or in
`_("...")`. Babel extracts them with Jinja's extractor, as from any Jinja project. Each part
of the project has its own catalog (PARTS), so that parts are translated independently and
two people translating do not edit the same file.
"""

from __future__ import annotations

import argparse
import fnmatch
import functools
import importlib.util
import io
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
LANGUAGES = ["pt_BR"]
# Where each text's translation lives: the first pattern that matches its file. Paths are
# relative to the repository's root; `**` matches any folders.
PARTS: list[tuple[str, str]] = [
    ("copier.yml", "copier"),
    ("includes/environment_config.yaml", "config"),
    ("template/README.md.jinja", "readme"),
    ("template/docs/*", "docs"),
    ("template/*/runtime/README.md.jinja", "runtime"),
    ("template/*/settings/*", "settings"),
    ("template/*/*/settings.py.jinja", "settings"),
    ("template/*/environment.py.jinja", "settings"),
    ("template/*/*/instance_types.py.jinja", "settings"),
    ("includes/rules.yml", "settings"),
    ("template/*", "project"),
    ("includes/*", "project"),
]
# The files whose prose is all marked for translation: outside the marked texts they hold
# only code, markup and names (`unmarked_prose` checks it). A file joins when it is translated.
TRANSLATED_FILES = [
    "includes/cost.jinja",
    "includes/environment_config.yaml",
    "template/README.md.jinja",
    "template/docs/architecture.md.jinja",
    "template/{{package_name}}/{% if with_api %}api{% endif %}/runtime/README.md.jinja",
    "template/{{package_name}}/{% if with_frontend %}frontend{% endif %}/runtime/README.md.jinja",
    "template/{{package_name}}/{% if with_pipeline %}pipeline{% endif %}/runtime/README.md.jinja",
]
# How copier renders (copier.yml, _envops): the extractor must read the templates the same way.
JINJA_OPTIONS = {"newstyle_gettext": "true", "keep_trailing_newline": "true"}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
# A rule's text of includes/rules.yml, translated where the project renders it:
# `_(rules.needs_nat.api)`. Its msgid is the rule's English text, in the part of rules.yml;
# copier.yml's questions use the rules untranslated.
RULES = "includes/rules.yml"
_RULE_TEXT = re.compile(r"\b_\(\s*rules\.([\w.]+)\s*\)")


@dataclass
class Texts:
    """The texts of one part: msgid -> where it is written."""

    messages: dict[str, list[tuple[str, int]]] = field(default_factory=dict)

    def add(self, message: str, path: str, line: int) -> None:
        self.messages.setdefault(message, []).append((path, line))


@functools.cache
def render_extension() -> ModuleType:
    """extensions/i18n.py, the gettext a render uses, loaded as copier-template-extensions
    loads it: from its file (it is no package)."""
    name = "template_i18n"
    spec = importlib.util.spec_from_file_location(name, ROOT / "extensions" / "i18n.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def part_of(path: str) -> str:
    for pattern, part in PARTS:
        if fnmatch.fnmatch(path, pattern):
            return part
    raise SystemExit(f"{path}: holds texts to translate but no part of PARTS in {__file__}")


def _jinja_texts(source: str) -> Iterator[tuple[int, str]]:
    for line, message, _comments, _context in extract(
        "jinja2.ext.babel_extract",
        io.BytesIO(source.encode()),
        keywords=KEYWORDS,
        options=JINJA_OPTIONS,
    ):
        # ngettext gives (singular, plural); the catalogs translate each as a text.
        yield from ((line, text) for text in (message if isinstance(message, tuple) else [message]))


# A file with a text to translate: a trans block, or a gettext call in a Jinja expression.
_MARKS = re.compile(r"\{%-?\s*trans\b|\{\{-?\s*_\(|\bgettext\(")


@functools.cache
def _rules() -> dict[str, Any]:
    return yaml.safe_load((ROOT / RULES).read_text(encoding="utf-8"))["rules"]["default"]


def _rule_texts(source: str, relative: str) -> Iterator[tuple[int, str]]:
    rules = _rules()
    for match in _RULE_TEXT.finditer(source):
        text: Any = rules
        for name in match.group(1).split("."):
            text = text.get(name) if isinstance(text, dict) else None
        line = source.count("\n", 0, match.start()) + 1
        if not isinstance(text, str):
            raise SystemExit(f"{relative}:{line}: rules.{match.group(1)} is not a text of {RULES}")
        yield line, text


class _IgnoreTags(yaml.SafeLoader):
    """Reads copier.yml's documents without following `!include`."""


_IgnoreTags.add_multi_constructor("!", lambda loader, suffix, node: None)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _template_files() -> Iterator[Path]:
    yield from sorted((ROOT / "template").rglob("*.jinja"))
    yield from sorted((ROOT / "includes").glob("*"))


def extract_texts() -> dict[str, Texts]:
    """Every text to translate, by part."""
    parts: dict[str, Texts] = {}
    for document in yaml.load_all((ROOT / "copier.yml").read_text(), Loader=_IgnoreTags):
        for value in _strings(document or {}):
            if _MARKS.search(value):
                for line, text in _jinja_texts(value):
                    parts.setdefault("copier", Texts()).add(text, "copier.yml", line)
    for path in _template_files():
        if "node_modules" in path.parts or not path.is_file():
            continue
        relative = path.relative_to(ROOT).as_posix()
        source = path.read_text(encoding="utf-8")
        for line, text in _rule_texts(source, relative):
            parts.setdefault(part_of(RULES), Texts()).add(text, relative, line)
        if not _MARKS.search(source):
            continue
        for line, text in _jinja_texts(source):
            parts.setdefault(part_of(relative), Texts()).add(text, relative, line)
    return parts


_MARKED = re.compile(
    r"\{%-?\s*trans\b.*?\{%-?\s*endtrans\s*-?%\}"  # a marked text
    r"|\{%-?\s*raw\s*-?%\}.*?\{%-?\s*endraw\s*-?%\}"  # a sample shown as it is
    r"|\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}|<!--.*?-->",  # Jinja comments, tags, expressions
    re.DOTALL,
)
_CODE = re.compile(r"`[^`\n]*`|\]\([^)]*\)|https?://\S+")  # code spans, link targets
_FENCE = re.compile(r"^\s*(```|~~~)\s*(\w*)")
# Three words in a row: a sentence's fragment, not a name or a command.
_PROSE = re.compile(r"[A-Za-z][a-z']+(?:[ \t]+[A-Za-z][a-z']+){2,}")


def unmarked_prose(path: Path) -> list[str]:
    """Lines of a template with prose outside its marked texts, as `path:line: text`. A code
    block is code, except its comments (`# ...`) and a Mermaid diagram's labels, which are
    prose; in a YAML file only the comments are prose, and a comment indented further than
    `# ` is a command or a sample. A Markdown heading is prose with a single word."""
    found: list[str] = []
    source = path.read_text(encoding="utf-8")
    # Blank out what is marked or Jinja, keeping line numbers.
    text = _MARKED.sub(lambda match: re.sub(r"[^\n]", " ", match.group()), source)
    fence: str | None = None  # the open code block's language
    yaml_file = ".yaml" in path.suffixes or ".yml" in path.suffixes
    for number, line in enumerate(text.splitlines(), start=1):
        opening = _FENCE.match(line)
        if not yaml_file and opening:
            fence = None if fence is not None else opening.group(2)
            continue
        if yaml_file or (fence is not None and fence != "mermaid"):
            comment = line.partition("#")[2]
            if not comment or comment.startswith("   "):
                continue
            line = comment
        line_text = _CODE.sub(" ", line)
        heading = not yaml_file and fence is None and line.startswith("#")
        if _PROSE.search(line_text) or (heading and re.search(r"[A-Za-z]{3,}", line_text)):
            found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def catalog_path(language: str, part: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{part}.po"


def new_catalog(language: str, part: str, like: Catalog | None = None) -> Catalog:
    """An empty catalog with a header that says what it is; its dates are the old ones, so
    that an update without new texts changes nothing."""
    catalog = Catalog(
        locale=language,
        project="copier-aws-datathon",
        header_comment=f"# The {part} texts of copier-aws-datathon in {language}.\n"
        "# scripts/i18n.py update writes the msgid lines; translate the msgstr lines"
        " (docs/i18n.md).",
        last_translator="copier-aws-datathon maintainers",
        language_team=language,
        fuzzy=False,
    )
    if like is not None:
        catalog.creation_date = like.creation_date
        catalog.revision_date = like.revision_date
    return catalog


def catalogs(language: str) -> dict[str, Catalog]:
    """Each part's catalog of ``language`` that exists, by part, in order."""
    found: dict[str, Catalog] = {}
    for path in sorted((LOCALE / language / "LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            found[path.stem] = read_po(handle, locale=language)
    return found


def update() -> None:
    """Add the new texts to each part's catalog and drop the texts that are gone; a
    translation stays with its text, and a new text that another part translated already
    takes that translation."""
    parts = extract_texts()
    for language in LANGUAGES:
        known = catalogs(language)
        # A text another part has translated already starts with that translation.
        translated = {
            entry.id: entry.string
            for catalog in known.values()
            for entry in catalog
            if entry.id and entry.string and not entry.fuzzy
        }
        for part in sorted(known.keys() | parts.keys()):
            old = known[part] if part in known else new_catalog(language, part)
            new = new_catalog(language, part, like=old)
            for message in parts.get(part, Texts()).messages:
                previous = old.get(message)
                new.add(message, (previous and previous.string) or translated.get(message, ""))
            path = catalog_path(language, part)
            if not len(new):
                path.unlink(missing_ok=True)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            buffer = io.BytesIO()
            write_po(buffer, new, width=100, no_location=True, omit_header=False)
            path.write_bytes(buffer.getvalue())
            print(f"{path.relative_to(ROOT)}: {len(new)} texts, {untranslated(new)} to translate")


def untranslated(catalog: Catalog) -> int:
    return sum(1 for message in catalog if message.id and not message.string)


def problems() -> list[str]:
    """What keeps a language from being complete: a text without its translation, a fuzzy
    translation, a translation of a text the templates no longer have, a text translated two
    ways in two catalogs, prose left unmarked in a translated file."""
    found: list[str] = []
    parts = extract_texts()
    for language in LANGUAGES:
        known = catalogs(language)
        for part, texts in sorted(parts.items()):
            catalog = known[part] if part in known else new_catalog(language, part)
            for message, where in texts.messages.items():
                entry = catalog.get(message)
                place = f"{where[0][0]}:{where[0][1]}"
                if entry is None:
                    found.append(f"{language}/{part}.po lacks {message!r} ({place})")
                elif not entry.string:
                    found.append(f"{language}/{part}.po: {message!r} is untranslated ({place})")
                elif entry.fuzzy:
                    found.append(f"{language}/{part}.po: {message!r} is fuzzy ({place})")
        # The render merges a language's catalogs: a text must read the same in all of them.
        seen: dict[str, tuple[str, str]] = {}
        for part, catalog in known.items():
            texts = parts.get(part, Texts()).messages
            for entry in catalog:
                if not entry.id:
                    continue
                if entry.id not in texts:
                    found.append(f"{language}/{part}.po: {entry.id!r} is in no template")
                if not entry.string:
                    continue
                first = seen.setdefault(entry.id, (part, entry.string))
                if first[1] != entry.string:
                    found.append(
                        f"{language}: {entry.id!r} is {first[1]!r} in {first[0]}.po but "
                        f"{entry.string!r} in {part}.po: translate it one way"
                    )
    for relative in TRANSLATED_FILES:
        found.extend(f"unmarked prose: {line}" for line in unmarked_prose(ROOT / relative))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["update", "check"])
    arguments = parser.parse_args()
    if arguments.command == "update":
        update()
        return 0
    found = problems()
    for problem in found:
        print(problem)
    print("every text is translated" if not found else f"{len(found)} problems; run update")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
