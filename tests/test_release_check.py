"""scripts/release_check.py lets a tag be released only when CHANGELOG.md dates it, pyproject.toml
names it and every migration added since the previous tag carries it; otherwise it names what is
wrong. Small fixture files stand in for the template's own."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from matrix import TEMPLATE_ROOT
from release_check import check, problems_of
from site_version import site_version

CHANGELOG = """# Changelog

## [Unreleased]

## [0.2.0] - 2027-01-15

### Added

- A thing.

### Needs a hand

Nothing.

## [0.1.0] - 2026-12-01

### Needs a hand

Nothing: this is the first release.
"""

PYPROJECT = '[project]\nname = "copier-aws-datathon"\nversion = "{version}"\n'

COPIER_YML = """\
_subdirectory: template
_migrations:
{entries}
  - command:
      - "{{{{ _copier_python }}}}"
      - "{{{{ _copier_conf.src_path }}}}/hooks/report_conflicts.py"
---
!include includes/versions.yml
---
project_name:
  type: str
"""

RENAME_LOGS = """\
  - version: {version}
    command:
      - "{{{{ _copier_python }}}}"
      - "{{{{ _copier_conf.src_path }}}}/hooks/rename_config_key.py"
      - data_lake.logs_expiration_days
      - data_lake.logs_retention_days
"""
RENAME_ANSWER = """\
  - version: {version}
    when: "{{{{ _stage == 'before' }}}}"
    command:
      - "{{{{ _copier_python }}}}"
      - "{{{{ _copier_conf.src_path }}}}/hooks/rename_answer.py"
      - nat
      - nat_gateways
"""


def copier_yml(*entries: str) -> str:
    return COPIER_YML.format(entries="".join(entries))


def problems(
    tag: str = "v0.2.0",
    *,
    changelog: str = CHANGELOG,
    version: str = "0.2.0",
    now: str | None = None,
    before: str | None = None,
) -> list[str]:
    return problems_of(
        tag,
        changelog=changelog,
        pyproject=PYPROJECT.format(version=version),
        copier_yml=now if now is not None else copier_yml(),
        previous_copier_yml=before,
    )


def test_a_dated_release_with_its_migrations_passes() -> None:
    before = copier_yml(RENAME_LOGS.format(version="v0.1.0"))
    now = copier_yml(RENAME_LOGS.format(version="v0.1.0"), RENAME_ANSWER.format(version="v0.2.0"))
    assert problems(now=now, before=before) == []


def test_a_release_without_migrations_passes() -> None:
    assert problems(now=copier_yml(), before=copier_yml()) == []


def test_a_missing_date_is_named() -> None:
    undated = CHANGELOG.replace("## [0.2.0] - 2027-01-15", "## [0.2.0]")
    assert problems(changelog=undated) == [
        "CHANGELOG.md: [0.2.0] has no date: write its heading as `## [0.2.0] - YYYY-MM-DD`"
    ]


def test_an_impossible_date_is_named() -> None:
    wrong = CHANGELOG.replace("2027-01-15", "2027-13-45")
    assert problems(changelog=wrong) == [
        "CHANGELOG.md: [0.2.0] is dated 2027-13-45, not a real date"
    ]


def test_a_release_still_under_unreleased_is_named() -> None:
    assert problems("v0.3.0", version="0.3.0") == [
        "CHANGELOG.md has no section [0.3.0]: rename [Unreleased] to `## [0.3.0] - YYYY-MM-DD`"
    ]


def test_a_release_that_does_not_say_what_needs_a_hand_is_named() -> None:
    silent = CHANGELOG.replace("### Needs a hand\n\nNothing.\n", "", 1)
    [problem] = problems(changelog=silent)
    assert problem.startswith("CHANGELOG.md: [0.2.0] does not say what a team does by hand")


def test_pyproject_must_name_the_version() -> None:
    assert problems(version="0.1.0") == ["pyproject.toml: version is '0.1.0', not '0.2.0'"]


def test_a_new_migration_without_the_version_is_named() -> None:
    before = copier_yml()
    now = copier_yml(RENAME_LOGS.format(version="v0.1.1"))
    assert problems(now=now, before=before) == [
        "copier.yml: the migration rename_config_key.py data_lake.logs_expiration_days"
        " data_lake.logs_retention_days is new since the previous release but has version"
        " v0.1.1, not v0.2.0"
    ]


def test_a_migration_later_than_the_release_is_named() -> None:
    # Already there at the previous tag, but for a release still to come.
    entry = RENAME_ANSWER.format(version="v0.3.0")
    [problem] = problems(now=copier_yml(entry), before=copier_yml(entry))
    assert problem == (
        "copier.yml: the migration rename_answer.py nat nat_gateways has version v0.3.0, later"
        " than v0.2.0: it would not run for teams updating to v0.2.0"
    )


def test_every_migration_counts_as_new_at_the_first_release() -> None:
    now = copier_yml(RENAME_LOGS.format(version="v0.0.9"))
    [problem] = problems(now=now, before=None)
    assert "rename_config_key.py" in problem and "not v0.2.0" in problem


def test_every_problem_is_listed_at_once() -> None:
    undated = CHANGELOG.replace("## [0.2.0] - 2027-01-15", "## [0.2.0]")
    now = copier_yml(RENAME_LOGS.format(version="v0.1.1"))
    found = problems(changelog=undated, version="0.1.0", now=now, before=copier_yml())
    assert [p.split(":")[0] for p in found] == ["CHANGELOG.md", "pyproject.toml", "copier.yml"]


@pytest.mark.parametrize("tag", ["0.2.0", "v0.2", "v0.2.0-rc1", "release-1"])
def test_a_tag_that_is_not_a_release_is_refused(tag: str) -> None:
    assert problems(tag) == [
        f"{tag!r} is not a release tag: releases are tagged vX.Y.Z, e.g. v0.2.0"
    ]


# ─── In a repository: the previous tag's copier.yml, the command line ─────────────────────


def git(repository: Path, *args: str) -> None:
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    subprocess.run(["git", *identity, *args], cwd=repository, check=True, capture_output=True)


def release_check(repository: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TEMPLATE_ROOT / "scripts" / "release_check.py"), *args],
        cwd=repository,
        capture_output=True,
        text=True,
    )


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """v0.1.0 tagged with one migration; then v0.2.0's migration and dated CHANGELOG."""
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG.split("## [0.2.0]")[0] + "## [0.1.0]")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.format(version="0.1.0"))
    (tmp_path / "copier.yml").write_text(copier_yml(RENAME_LOGS.format(version="v0.1.0")))
    git(tmp_path, "init", "--quiet")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "--quiet", "-m", "Release v0.1.0")
    git(tmp_path, "tag", "v0.1.0")
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT.format(version="0.2.0"))
    return tmp_path


def test_the_previous_tags_migrations_are_read_from_git(repository: Path) -> None:
    (repository / "copier.yml").write_text(
        copier_yml(RENAME_LOGS.format(version="v0.1.0"), RENAME_ANSWER.format(version="v0.2.0"))
    )
    assert check(repository, "v0.2.0") == []
    (repository / "copier.yml").write_text(
        copier_yml(RENAME_LOGS.format(version="v0.1.0"), RENAME_ANSWER.format(version="v0.1.0"))
    )
    [problem] = check(repository, "v0.2.0")
    assert "rename_answer.py nat nat_gateways is new since the previous release" in problem


def test_the_command_writes_the_notes_or_exits_1_naming_the_problem(repository: Path) -> None:
    notes = repository / "notes.md"
    ready = release_check(repository, "v0.2.0", "--root", str(repository), "--notes", str(notes))
    assert ready.returncode == 0, ready.stderr
    assert notes.read_text() == "### Added\n\n- A thing.\n\n### Needs a hand\n\nNothing.\n"

    (repository / "pyproject.toml").write_text(PYPROJECT.format(version="0.1.0"))
    refused = release_check(repository, "v0.2.0", "--root", str(repository))
    assert refused.returncode == 1
    assert "release_check: pyproject.toml: version is '0.1.0', not '0.2.0'" in refused.stderr


def test_the_templates_own_copier_yml_reads() -> None:
    """Whatever its state, the script reads this repository's files without failing."""
    problems_found = check(TEMPLATE_ROOT, "v0.1.0")
    assert all(isinstance(problem, str) for problem in problems_found)


def test_the_sites_footer_names_the_release_it_was_built_from(repository: Path) -> None:
    assert site_version(repository) == "v0.1.0"
    git(repository, "commit", "--quiet", "-am", "Towards v0.2.0")
    assert re.fullmatch(r"v0\.1\.0-1-g[0-9a-f]+", site_version(repository))
    git(repository, "tag", "--delete", "v0.1.0")
    assert re.fullmatch(r"v0\.2\.0 \(unreleased, [0-9a-f]+\)", site_version(repository))
