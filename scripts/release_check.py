"""Check that a release tag is ready to publish, and write its release notes.

    python scripts/release_check.py v0.2.0                      check; exit 1 naming each problem
    python scripts/release_check.py v0.2.0 --notes notes.md     and write the CHANGELOG section

The release workflow (.github/workflows/release.yml) runs it on every pushed tag `vX.Y.Z`
before it publishes anything; docs/releasing.md says how a release is cut. It checks that:

- CHANGELOG.md has the section `## [X.Y.Z] - YYYY-MM-DD`, with a real date and a
  **Needs a hand** part;
- pyproject.toml's version is X.Y.Z (the update test tags the working tree with it);
- every `_migrations` entry of copier.yml with a `version:` that is new since the previous
  release tag carries `vX.Y.Z`, and no entry names a later version than the tag (copier runs
  an entry only for updates that cross its version: a wrong one never runs for the teams
  that need it). Entries without a `version:` run on every update and are not checked.
"""

from __future__ import annotations

import argparse
import datetime
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

from questions_reference import load_documents

ROOT = Path(__file__).resolve().parent.parent
TAG = re.compile(r"^v(?P<version>\d+\.\d+\.\d+)$")
HEADING = re.compile(r"^## \[(?P<name>[^\]]+)\](?P<rest>.*)$", re.M)
DATED = re.compile(r"^ - (?P<date>\d{4}-\d{2}-\d{2})$")

Version = tuple[int, ...]


def version_of(text: str) -> Version | None:
    """(0, 2, 0) for `v0.2.0` or `0.2.0`; None for anything else."""
    match = re.fullmatch(r"v?(\d+)\.(\d+)\.(\d+)", str(text).strip())
    return tuple(int(part) for part in match.groups()) if match else None


def changelog_section(changelog: str, version: str) -> tuple[str | None, str | None]:
    """The rest of the heading line (` - 2026-12-01`) and the body of `## [version]`."""
    found = list(HEADING.finditer(changelog))
    for index, heading in enumerate(found):
        if heading["name"] == version:
            end = found[index + 1].start() if index + 1 < len(found) else len(changelog)
            return heading["rest"], changelog[heading.end() : end].strip()
    return None, None


def changelog_problems(changelog: str, version: str) -> list[str]:
    rest, body = changelog_section(changelog, version)
    expected = f"`## [{version}] - YYYY-MM-DD`"
    if rest is None:
        return [f"CHANGELOG.md has no section [{version}]: rename [Unreleased] to {expected}"]
    dated = DATED.match(rest)
    if not dated:
        return [f"CHANGELOG.md: [{version}] has no date: write its heading as {expected}"]
    problems = []
    try:
        datetime.date.fromisoformat(dated["date"])
    except ValueError:
        problems.append(f"CHANGELOG.md: [{version}] is dated {dated['date']}, not a real date")
    if "### Needs a hand" not in (body or ""):
        problems.append(
            f"CHANGELOG.md: [{version}] does not say what a team does by hand after the"
            " update: add `### Needs a hand` (or say Nothing under it)"
        )
    return problems


def pyproject_problems(pyproject: str, version: str) -> list[str]:
    found = tomllib.loads(pyproject).get("project", {}).get("version")
    if found != version:
        return [f"pyproject.toml: version is {found!r}, not {version!r}"]
    return []


def migrations(copier_yml: str) -> list[dict[str, Any]]:
    """The `_migrations` entries of a copier.yml's text."""
    entries: list[Any] = []
    for document in load_documents(copier_yml):
        entries = document.get("_migrations", entries) or []
    return [entry for entry in entries if isinstance(entry, dict)]


def _describe(entry: dict[str, Any]) -> str:
    """`the migration rename_config_key.py a.old a.new`: the script and its arguments."""
    command = entry.get("command", "")
    words = [str(word) for word in (command if isinstance(command, list) else [command])]
    script = next((i for i, word in enumerate(words) if word.endswith(".py")), None)
    shown = [Path(words[script]).name, *words[script + 1 :]] if script is not None else words
    return f"the migration {' '.join(shown)}"


def migration_problems(
    tag: str, current: list[dict[str, Any]], previous: list[dict[str, Any]]
) -> list[str]:
    """Entries new since the previous release must carry ``tag``; none may be later."""
    release = version_of(tag)
    problems = []
    for entry in current:
        if "version" not in entry:
            continue  # runs on every update
        named = version_of(entry["version"])
        if named is None:
            problems.append(f"copier.yml: {_describe(entry)} has version {entry['version']!r}")
        elif entry not in previous and named != release:
            problems.append(
                f"copier.yml: {_describe(entry)} is new since the previous release but has"
                f" version {entry['version']}, not {tag}"
            )
        elif release is not None and named > release:
            problems.append(
                f"copier.yml: {_describe(entry)} has version {entry['version']}, later than"
                f" {tag}: it would not run for teams updating to {tag}"
            )
    return problems


def problems_of(
    tag: str,
    *,
    changelog: str,
    pyproject: str,
    copier_yml: str,
    previous_copier_yml: str | None,
) -> list[str]:
    """Everything that stops ``tag`` from being released, as a reader should read it."""
    match = TAG.match(tag)
    if not match:
        return [f"{tag!r} is not a release tag: releases are tagged vX.Y.Z, e.g. v0.2.0"]
    version = match["version"]
    previous = migrations(previous_copier_yml) if previous_copier_yml else []
    return [
        *changelog_problems(changelog, version),
        *pyproject_problems(pyproject, version),
        *migration_problems(tag, migrations(copier_yml), previous),
    ]


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


def previous_tag(root: Path, tag: str) -> str | None:
    """The highest release tag below ``tag``, if any."""
    release = version_of(tag)
    tags = [name for name in _git(root, "tag", "--list", "v*").split() if TAG.match(name)]
    earlier = [name for name in tags if release is None or version_of(name) < release]
    return max(earlier, key=version_of, default=None)


def check(root: Path, tag: str) -> list[str]:
    """The problems of releasing ``tag`` from the files at ``root`` (a git work tree)."""
    before = previous_tag(root, tag)
    return problems_of(
        tag,
        changelog=(root / "CHANGELOG.md").read_text(encoding="utf-8"),
        pyproject=(root / "pyproject.toml").read_text(encoding="utf-8"),
        copier_yml=(root / "copier.yml").read_text(encoding="utf-8"),
        previous_copier_yml=_git(root, "show", f"{before}:copier.yml") if before else None,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tag", help="the release tag, vX.Y.Z")
    parser.add_argument("--root", type=Path, default=ROOT, help="the template's work tree")
    parser.add_argument("--notes", type=Path, help="write the CHANGELOG section here")
    args = parser.parse_args(argv)
    problems = check(args.root, args.tag)
    for problem in problems:
        print(f"release_check: {problem}", file=sys.stderr)
    if problems:
        return 1
    if args.notes:
        _, body = changelog_section(
            (args.root / "CHANGELOG.md").read_text(encoding="utf-8"), args.tag[1:]
        )
        args.notes.write_text(f"{body}\n", encoding="utf-8")
    print(f"release_check: {args.tag} is ready")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
