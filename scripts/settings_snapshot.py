"""Snapshots of the settings keys of each release, and the check that none goes unmigrated.

    python scripts/settings_snapshot.py          write releases/<version>/settings-keys.txt
    python scripts/settings_snapshot.py --check  exit 1 naming each key of the last release
                                                 that is gone without a migration and a
                                                 CHANGELOG line

A team's config/<environment>.yaml may set any key a release offered. A release that drops or
renames one must carry a migration (hooks/remove_config_key.py, hooks/rename_config_key.py) that
names it and a CHANGELOG line that tells teams, or their config files stop the synth after
`copier update`. The keys are read from every supported variant of tests/variants.yaml,
rendered and loaded as a project would (docs/releasing.md: write the snapshot when cutting a
release).
"""

from __future__ import annotations

import re
import sys
import tempfile
import tomllib
from pathlib import Path

from release_check import migrations, version_of

ROOT = Path(__file__).resolve().parent.parent
RELEASES = ROOT / "releases"
RELEASE_HEADING = re.compile(r"^## \[(?P<version>\d+\.\d+\.\d+)\] - \d{4}-\d{2}-\d{2}$", re.M)
UNRELEASED = re.compile(r"^## \[Unreleased\]\n(?P<body>.*?)(?=^## \[|\Z)", re.M | re.S)


def snapshot_path(version: str) -> Path:
    return RELEASES / version / "settings-keys.txt"


def last_release(changelog: str) -> str | None:
    """The highest version CHANGELOG.md dates, or None before the first release."""
    versions = RELEASE_HEADING.findall(changelog)
    return max(versions, key=version_of) if versions else None


def read_snapshot(version: str) -> set[str]:
    return set(snapshot_path(version).read_text(encoding="utf-8").split())


def key_paths(settings: dict, prefix: str = "") -> set[str]:
    """The dotted keys of one environment's settings (a list is one value)."""
    keys = set()
    for key, value in settings.items():
        if isinstance(value, dict) and value:
            keys |= key_paths(value, f"{prefix}{key}.")
        else:
            keys.add(f"{prefix}{key}")
    return keys


def migrations_since(copier_yml: str, release: str) -> list[tuple[str, list[str]]]:
    """The migrations of copier.yml made after ``release``: (version, command)."""
    return [
        (str(entry["version"]).lstrip("v"), [str(part) for part in entry["command"]])
        for entry in migrations(copier_yml)
        if "version" in entry and (version_of(entry["version"]) or ()) > version_of(release)
    ]


def unmigrated(
    released: set[str], current: set[str], migrations: list[list[str]], unreleased_notes: str
) -> list[str]:
    """Each released key that is gone, with what it lacks: a migration naming it and a line
    in CHANGELOG.md's Unreleased section."""
    problems = []
    for key in sorted(released - current):
        migrated = any(key in command for command in migrations)
        told = key in unreleased_notes or f"`{key.rsplit('.', 1)[-1]}`" in unreleased_notes
        lacks = [
            *([] if migrated else ["a migration in copier.yml that names it"]),
            *([] if told else ["a line under ## [Unreleased] in CHANGELOG.md"]),
        ]
        if lacks:
            problems.append(f"{key}: gone since the last release without {' and '.join(lacks)}")
    return problems


def current_keys() -> set[str]:
    """The settings keys of every supported variant, rendered and loaded as a project."""
    sys.path.insert(0, str(ROOT / "tests"))
    from matrix import load_variants, project_settings, render
    from render_shortcuts import shortcuts

    keys: set[str] = set()
    with tempfile.TemporaryDirectory() as folder, shortcuts():
        for name, answers in load_variants()["supported"].items():
            rendered = render(answers, Path(folder) / name, tasks=False)
            project = project_settings(Path(folder) / name, rendered["package_name"])
            for settings in project.values():
                keys |= key_paths(settings) - {"name"}
    return keys


def main(argv: list[str]) -> int:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    release = last_release(changelog)
    if "--check" not in argv:
        project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        version = project["project"]["version"]
        path = snapshot_path(version)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(sorted(current_keys())) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
        return 0
    if release is None:
        print("no release dated in CHANGELOG.md yet: nothing to check")
        return 0
    match = UNRELEASED.search(changelog)
    copier_yml = (ROOT / "copier.yml").read_text(encoding="utf-8")
    commands = [command for _, command in migrations_since(copier_yml, release)]
    notes = match["body"] if match else ""
    problems = unmigrated(read_snapshot(release), current_keys(), commands, notes)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
