"""The docs that are generated from the template stay in step with it, and the site's
navigation holds every page."""

from __future__ import annotations

import re
import subprocess
import sys

import yaml

from matrix import TEMPLATE_ROOT
from questions_reference import PAGE, load_all_questions, load_sections

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
        for row in ("| Type |", "| Default |", "| Asked when |"):
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
