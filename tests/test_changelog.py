"""CHANGELOG.md tells teams what each release changes in their project (docs/releasing.md)."""

from __future__ import annotations

import re
import tomllib

from packaging.version import Version

from matrix import TEMPLATE_ROOT

CHANGELOG = (TEMPLATE_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
HEADING = re.compile(r"^## \[(?P<name>[^\]]+)\](?: - (?P<date>\d{4}-\d{2}-\d{2}))?$", re.M)


def sections() -> list[tuple[str, str | None, str]]:
    """(name, date, body) of each `## [...]` section, in the file's order."""
    found = list(HEADING.finditer(CHANGELOG))
    ends = [match.start() for match in found[1:]] + [len(CHANGELOG)]
    return [
        (match["name"], match["date"], CHANGELOG[match.end() : end])
        for match, end in zip(found, ends, strict=True)
    ]


def test_unreleased_comes_first_then_releases_newest_first() -> None:
    names = [name for name, _, _ in sections()]
    assert names[0] == "Unreleased"
    releases = [Version(name) for name in names[1:]]
    assert releases == sorted(releases, reverse=True)
    assert all(re.fullmatch(r"\d+\.\d+\.\d+", name) for name in names[1:])


def test_every_release_is_dated_and_says_what_needs_a_hand() -> None:
    for name, date, body in sections()[1:]:
        assert date, f"[{name}] has no date"
        assert "### Needs a hand" in body, f"[{name}] does not say what needs a hand"


def test_the_template_version_is_released_or_about_to_be() -> None:
    project = tomllib.loads((TEMPLATE_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    version = Version(project["project"]["version"])
    released = [Version(name) for name, _, _ in sections()[1:]]
    if released:
        assert version == released[0]
    else:  # before the first release, pyproject.toml and the changelog already name it
        assert f"v{version}" in sections()[0][2]
