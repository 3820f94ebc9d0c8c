"""The docs that are generated from the template stay in step with it, and the site's
navigation holds every page."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from matrix import TEMPLATE_ROOT
from questions_reference import (
    CODE_SPAN,
    PAGE,
    load_all_questions,
    load_lands_in,
    load_sections,
)

DOCS = TEMPLATE_ROOT / "docs"


def test_questions_reference_is_current() -> None:
    result = subprocess.run(
        [sys.executable, "scripts/questions_reference.py", "--check"],
        cwd=TEMPLATE_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def entry(page: str, name: str) -> str:
    """The part of the reference page about one question."""
    heading = f"### `{name}`\n"
    start = page.index(heading) + len(heading)
    following = re.search(r"^##", page[start:], re.M)
    return page[start : start + following.start()] if following else page[start:]


def test_every_question_is_in_the_reference_with_all_it_says() -> None:
    page = PAGE.read_text()
    questions = load_all_questions()
    missing = [name for name in questions if f"### `{name}`\n" not in page]
    assert missing == []
    for name, spec in questions.items():
        text = entry(page, name)
        for row in ("| Type |", "| Default |", "| Asked when |", "| Lands in |"):
            assert row in text, f"{name}: no {row} row"
        # The help, as the page words it (its first words are plain in every question).
        first_words = " ".join(str(spec["help"]).split()[:3])
        assert first_words in text, f"{name}: help missing"
        assert ("| Refused with |" in text) == bool(spec.get("validator")), name
        for choice in spec.get("choices", []):
            assert f"`{choice}`" in text, f"{name}: choice {choice} missing"


def test_reference_is_grouped_by_the_sections_of_copier_yml() -> None:
    page = PAGE.read_text()
    sections = load_sections()
    for name, section in sections.items():
        if name in load_all_questions() and section:
            heading = page.index(f"\n## {section}\n")
            assert heading < page.index(f"### `{name}`\n"), name
    assert list(dict.fromkeys(sections.values()))[-1] == "Delivery"


def test_every_question_says_where_its_answer_lands() -> None:
    """A new question cannot go undocumented: scripts/questions_lands_in.yml needs its entry."""
    lands_in = load_lands_in()
    questions = load_all_questions()
    assert sorted(set(questions) - set(lands_in)) == [], "questions without a lands-in entry"
    assert sorted(set(lands_in) - set(questions)) == [], "lands-in entries of no question"
    for name, entry in lands_in.items():
        assert set(entry) in ({"where"}, {"setting", "file"}, {"setting", "file", "note"}), name


def rendered_paths() -> dict[str, Path]:
    """Every file and folder a project can hold, as the docs name them (`<package>/api/`,
    `<package>/api/settings.py`), with its source in template/."""
    paths: dict[str, Path] = {}
    for path in (TEMPLATE_ROOT / "template").rglob("*"):
        if "node_modules" in path.parts:
            continue
        relative = path.relative_to(TEMPLATE_ROOT / "template").as_posix()
        relative = relative.replace("{{package_name}}", "<package>")
        relative = relative.replace("{{_copier_conf.answers_file}}", ".copier-answers.yml")
        relative = re.sub(r"\{%[^%]*%\}(.*?)\{% endif %\}", r"\1", relative)
        relative = relative.removesuffix(".jinja")
        paths[relative + "/" if path.is_dir() else relative] = path
    return paths


def _named_paths(entry: dict[str, str]) -> list[str]:
    """The files and folders a lands-in entry names: its code spans that look like paths."""
    spans = [span.strip("`") for span in CODE_SPAN.findall(" ".join(entry.values()))]
    named = [entry["file"]] if "file" in entry else []
    named += [
        span
        for span in spans
        if "/" in span or span.startswith(".") or re.search(r"\.(py|ya?ml|md|json|toml)$", span)
    ]
    return named


def test_the_files_a_lands_in_entry_names_exist_in_the_template() -> None:
    paths = rendered_paths()
    for name, entry in load_lands_in().items():
        for named in _named_paths(entry):
            # `config/<environment>.yaml` stands for every environment's file.
            pattern = re.escape(named).replace(re.escape("<environment>"), "[a-z]+")
            assert any(re.fullmatch(pattern, path) for path in paths), f"{name}: {named}"


def test_a_seeded_setting_takes_the_answer_as_its_default_in_the_named_file() -> None:
    """`setting` entries: the file renders the answer and holds the key among its defaults."""
    paths = rendered_paths()
    for name, entry in load_lands_in().items():
        if "setting" not in entry:
            continue
        source = paths[entry["file"]]
        text = source.read_text()
        key = entry["setting"].rpartition(".")[2]
        assert f'"{key}":' in text, f"{name}: {key} is not among the defaults of {source}"
        assert re.search(r"\{\{-?\s*" + name + r"\b", text), f"{name}: not rendered in {source}"


class _MkdocsLoader(yaml.SafeLoader):
    """mkdocs.yml names Python objects (`!!python/name:`); the nav needs none of them."""


_MkdocsLoader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)


def nav_pages(nav: list) -> list[str]:
    pages = []
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        pages += nav_pages(value) if isinstance(value, list) else [value]
    return pages


def test_site_navigation_holds_every_page_and_only_existing_ones() -> None:
    config = yaml.load((TEMPLATE_ROOT / "mkdocs.yml").read_text(), Loader=_MkdocsLoader)
    listed = nav_pages(config["nav"])
    written = sorted(str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md"))
    assert sorted(set(listed)) == sorted(listed), "a page is listed twice"
    assert sorted(set(written) - set(listed)) == [], "pages missing from the nav"
    assert sorted(set(listed) - set(written)) == [], "the nav lists pages that do not exist"
