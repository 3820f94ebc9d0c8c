"""Releases that updates can trust: a settings key of the last release never disappears
without a migration that carries it and a CHANGELOG line that tells teams."""

from __future__ import annotations

import pytest

from matrix import SynthReport
from settings_snapshot import (
    ROOT,
    UNRELEASED,
    key_paths,
    last_release,
    migrations_since,
    read_snapshot,
    snapshot_path,
    unmigrated,
)

CHANGELOG = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
REMOVED = "data_lake.abort_incomplete_multipart_upload_days"
RELEASED = {"account", "region", REMOVED, "data_lake.logs_expiration_days"}
CURRENT = RELEASED - {REMOVED} | {"data_lake.inventory_reports"}
REMOVAL = ["python", "hooks/remove_config_key.py", REMOVED, "--why", "always 7 days"]
NOTES = "### Removed\n\n- `abort_incomplete_multipart_upload_days`: always 7 days.\n"


def test_a_key_removed_with_its_migration_and_changelog_line_passes() -> None:
    assert unmigrated(RELEASED, CURRENT, [REMOVAL], NOTES) == []


def test_a_key_removed_without_a_migration_fails_naming_it() -> None:
    (problem,) = unmigrated(RELEASED, CURRENT, [], NOTES)
    assert (
        problem
        == f"{REMOVED}: gone since the last release without a migration in copier.yml that names it"
    )


def test_a_key_removed_without_a_changelog_line_fails_naming_it() -> None:
    (problem,) = unmigrated(RELEASED, CURRENT, [REMOVAL], "### Added\n\n- Nothing here.\n")
    assert problem.startswith(f"{REMOVED}: gone since the last release without a line under")


def test_a_renamed_key_needs_its_rename_migration() -> None:
    renamed = RELEASED - {REMOVED} | {"data_lake.abort_uploads_after_days"}
    rename = ["python", "hooks/rename_config_key.py", REMOVED, "data_lake.abort_uploads_after_days"]
    notes = f"- `{REMOVED}` is now `data_lake.abort_uploads_after_days`."
    assert unmigrated(RELEASED, renamed, [rename], notes) == []
    assert unmigrated(RELEASED, renamed, [REMOVAL[:2]], notes) != []


def test_only_migrations_made_after_the_release_count() -> None:
    copier_yml = (
        "_migrations:\n"
        "  - version: v0.1.0\n    command: [python, old.py, a.b]\n"
        "  - version: v0.2.0\n    command: [python, new.py, c.d]\n"
        "  - command: [python, every_update.py]\n"
    )
    assert migrations_since(copier_yml, "0.1.0") == [("0.2.0", ["python", "new.py", "c.d"])]


def test_every_dated_release_has_its_snapshot() -> None:
    release = last_release(CHANGELOG)
    if release is None:
        pytest.skip("CHANGELOG.md dates no release yet: there is no snapshot to hold to")
    assert snapshot_path(release).exists(), (
        f"release {release} has no settings snapshot: run python scripts/settings_snapshot.py"
    )


def test_no_key_of_the_last_release_is_gone_unmigrated(
    synthesized: dict[str, SynthReport],
) -> None:
    release = last_release(CHANGELOG)
    if release is None:
        pytest.skip("CHANGELOG.md dates no release yet: no key can have gone")
    current = {
        key
        for report in synthesized.values()
        for settings in report.settings.values()
        for key in key_paths(settings) - {"name"}
    }
    copier_yml = (ROOT / "copier.yml").read_text(encoding="utf-8")
    commands = [command for _, command in migrations_since(copier_yml, release)]
    match = UNRELEASED.search(CHANGELOG)
    assert (
        unmigrated(read_snapshot(release), current, commands, match["body"] if match else "") == []
    )
