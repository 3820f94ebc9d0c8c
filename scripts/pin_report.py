"""Report the template's pins that have fallen behind: a newer release exists, and the pinned
one is older than a set age.

    python scripts/pin_report.py                    every pin, as a Markdown table; exit 1 if
                                                    any is older than 60 days and not the newest
    python scripts/pin_report.py --max-age-days 30

The pins are found the way Renovate finds them (.github/renovate.json): its custom regex
managers over includes/versions.yml and the other pinned files, plus the front end's
package.json and pyproject.toml's tool groups, which Renovate reads natively; and the Python
versions that copier.yml offers (the Lambda runtime follows them). The release dates come from
PyPI, the npm registry, GitHub's tags, nodejs.org and endoflife.date. The weekly workflow
(.github/workflows/pins.yml) runs it; tests/test_pins.py tests it on recorded answers.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import re
import sys
import tomllib
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RENOVATE = ROOT / ".github" / "renovate.json"
FRONTEND_PACKAGE = "template/{{package_name}}/{% if with_frontend %}frontend{% endif %}/runtime"
DAY = datetime.timedelta(days=1)
# What tools write into the work tree, where no pin of the template lives.
SKIPPED_FOLDERS = {".git", ".nox", ".nox-tools", "node_modules", "site", "__pycache__"}

FetchJson = Callable[[str], Any]


@dataclass(frozen=True)
class Pin:
    """One pinned dependency: where, what (Renovate's datasource and name), which version."""

    file: str
    datasource: str
    name: str
    version: str
    digest: str | None = None
    start: int = 0  # where the match starts and ends in the file (for the tests)
    end: int = 0


# ─── Finding the pins, as Renovate's managers do ──────────────────────────────────────────


def _python_regex(pattern: str) -> re.Pattern[str]:
    """Renovate writes named groups as JavaScript does, `(?<name>...)`."""
    return re.compile(re.sub(r"\(\?<(?=[A-Za-z])", "(?P<", pattern))


def _file_regex(pattern: str) -> re.Pattern[str]:
    if not (pattern.startswith("/") and pattern.endswith("/")):
        raise ValueError(f"managerFilePatterns: write {pattern!r} as a /regex/")
    return re.compile(pattern[1:-1])


_REPLACE = re.compile(r"^\{\{\{replace '(?P<find>[^']*)' '(?P<to>[^']*)' (?P<field>\w+)\}\}\}$")
_FIELD = re.compile(r"^\{\{\{(?P<field>\w+)\}\}\}$")


def _template(template: str | None, groups: dict[str, str], field: str) -> str | None:
    """The subset of Renovate's Handlebars templates that renovate.json uses."""
    if template is None:
        return groups.get(field)
    if replace := _REPLACE.match(template):
        return re.sub(replace["find"], replace["to"], groups[replace["field"]])
    if plain := _FIELD.match(template):
        return groups[plain["field"]]
    if "{{" in template:
        raise ValueError(f"{field}Template {template!r}: teach scripts/pin_report.py to read it")
    return template


def regex_manager_pins(config: dict[str, Any], root: Path) -> list[Pin]:
    """What the custom regex managers of a Renovate config find under ``root``."""
    files = []
    for folder, subfolders, names in os.walk(root):
        subfolders[:] = sorted(set(subfolders) - SKIPPED_FOLDERS)
        files += [(Path(folder) / name).relative_to(root).as_posix() for name in sorted(names)]
    pins = []
    for manager in config.get("customManagers", []):
        patterns = [_file_regex(p) for p in manager["managerFilePatterns"]]
        for file in (f for f in files if any(p.search(f) for p in patterns)):
            text = (root / file).read_text(encoding="utf-8")
            for match_string in manager["matchStrings"]:
                for match in _python_regex(match_string).finditer(text):
                    groups = {k: v for k, v in match.groupdict().items() if v is not None}
                    pins.append(
                        Pin(
                            file=file,
                            datasource=_template(
                                manager.get("datasourceTemplate"), groups, "datasource"
                            ),
                            name=_template(manager.get("depNameTemplate"), groups, "depName"),
                            version=groups["currentValue"],
                            digest=groups.get("currentDigest"),
                            start=match.start(),
                            end=match.end(),
                        )
                    )
    return pins


def native_pins(root: Path) -> list[Pin]:
    """The pins Renovate's own npm and pep621 managers read: the front end's package.json and
    the template's tool groups in pyproject.toml (exact pins only)."""
    package = json.loads((root / FRONTEND_PACKAGE / "package.json").read_text(encoding="utf-8"))
    pins = [
        Pin(f"{FRONTEND_PACKAGE}/package.json", "npm", name, version)
        for section in ("dependencies", "devDependencies")
        for name, version in package.get(section, {}).items()
    ]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    for requirements in project.get("dependency-groups", {}).values():
        for requirement in requirements:
            if exact := re.fullmatch(r"([\w.-]+)(?:\[[^\]]*\])?==([\w.]+)", requirement):
                pins.append(Pin("pyproject.toml", "pypi", exact[1], exact[2]))
    return pins


def python_choices(root: Path) -> list[Pin]:
    """The newest Python that copier.yml offers: the project's, its images' and Lambda's."""
    text = (root / "copier.yml").read_text(encoding="utf-8")
    block = re.search(r"^python_version:\n(?:[ #].*\n|\n)*", text, re.M)
    choices = re.findall(r'^ {4}- "(\d+\.\d+)"$', block[0] if block else "", re.M)
    newest = max(choices, key=lambda v: tuple(map(int, v.split("."))), default=None)
    return [Pin("copier.yml", "python", "python_version", newest)] if newest else []


def all_pins(root: Path = ROOT) -> list[Pin]:
    config = json.loads((root / ".github" / "renovate.json").read_text(encoding="utf-8"))
    found = [*regex_manager_pins(config, root), *native_pins(root), *python_choices(root)]
    # The same package pinned in two places (ruff, copier, uv) is one line of the report.
    unique = {(p.datasource, p.name, p.version): p for p in found}
    return sorted(unique.values(), key=lambda p: (p.datasource, p.name.lower()))


# ─── Release dates ────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Release:
    version: str
    date: datetime.date | None


def _date(text: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(text[:10]) if text else None


def _key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def releases(pin: Pin, fetch: FetchJson) -> tuple[Release, Release]:
    """The pinned release and the newest one, with their dates."""
    if pin.datasource == "pypi":
        data = fetch(f"https://pypi.org/pypi/{pin.name}/json")
        dated = {
            version: _date(files[0]["upload_time_iso_8601"])
            for version, files in data["releases"].items()
            if files
        }
        latest = data["info"]["version"]
        return Release(pin.version, dated.get(pin.version)), Release(latest, dated.get(latest))
    if pin.datasource == "npm":
        data = fetch(f"https://registry.npmjs.org/{pin.name}")
        latest = data["dist-tags"]["latest"]
        return (
            Release(pin.version, _date(data["time"].get(pin.version))),
            Release(latest, _date(data["time"].get(latest))),
        )
    if pin.datasource == "github-tags":
        api = f"https://api.github.com/repos/{pin.name}"
        tags = {
            tag["name"]: tag["commit"]["sha"]
            for tag in fetch(f"{api}/tags?per_page=100")
            if re.fullmatch(r"v?\d+(\.\d+)*", tag["name"])
        }
        latest = max(tags, key=_key)

        def committed(sha: str | None) -> datetime.date | None:
            return (
                _date(fetch(f"{api}/commits/{sha}")["commit"]["committer"]["date"]) if sha else None
            )

        return (
            Release(pin.version, committed(pin.digest or tags.get(pin.version))),
            Release(latest, committed(tags[latest])),
        )
    if pin.datasource == "node-version":
        data = fetch("https://nodejs.org/dist/index.json")
        first = {}  # each major line's first release, and whether it has reached LTS
        for entry in data:
            major = entry["version"].lstrip("v").split(".")[0]
            first[major] = _date(entry["date"])
        lts = {entry["version"].lstrip("v").split(".")[0] for entry in data if entry["lts"]}
        latest = max(lts, key=int)
        return Release(pin.version, first.get(pin.version)), Release(latest, first[latest])
    if pin.datasource == "python":
        data = fetch("https://endoflife.date/api/python.json")
        dated = {cycle["cycle"]: _date(cycle["releaseDate"]) for cycle in data}
        latest = max(dated, key=_key)
        return Release(pin.version, dated.get(pin.version)), Release(latest, dated[latest])
    raise ValueError(f"{pin.file}: {pin.name} comes from {pin.datasource}, which is not known")


# ─── The report ───────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Row:
    pin: Pin
    current: Release
    latest: Release
    age_days: int | None

    @property
    def behind(self) -> bool:
        return _key(self.current.version) < _key(self.latest.version)


def rows(pins: list[Pin], fetch: FetchJson, today: datetime.date) -> list[Row]:
    found = []
    for pin in pins:
        current, latest = releases(pin, fetch)
        age = (today - current.date) // DAY if current.date else None
        found.append(Row(pin, current, latest, age))
    return found


def stale(found: list[Row], max_age_days: int) -> list[Row]:
    """Pins behind the newest release whose own release is older than the age allowed (or
    unknown to the registry: withdrawn, or a typo)."""
    return [
        row for row in found if row.behind and (row.age_days is None or row.age_days > max_age_days)
    ]


def report(found: list[Row], max_age_days: int) -> str:
    late = stale(found, max_age_days)
    lines = [
        f"# Pins: {len(late)} of {len(found)} behind and older than {max_age_days} days",
        "",
        "| Pin | Where | Pinned | Released | Age (days) | Newest | Released |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in sorted(found, key=lambda r: (r not in late, -(r.age_days or 0))):
        mark = "**" if row in late else ""
        lines.append(
            f"| {mark}{row.pin.name}{mark} | {row.pin.file} | {row.current.version}"
            f" | {row.current.date or '?'} | {'?' if row.age_days is None else row.age_days}"
            f" | {row.latest.version} | {row.latest.date or '?'} |"
        )
    return "\n".join(lines) + "\n"


def fetch_json(url: str) -> Any:
    headers = {"Accept": "application/json", "User-Agent": "copier-aws-datathon pin report"}
    token = os.environ.get("GITHUB_TOKEN")
    if token and url.startswith("https://api.github.com/"):
        headers["Authorization"] = f"Bearer {token}"
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=30) as r:
        return json.load(r)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-age-days", type=int, default=60)
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args(argv)
    found = rows(all_pins(args.root), fetch_json, datetime.date.today())
    text = report(found, args.max_age_days)
    print(text)
    if summary := os.environ.get("GITHUB_STEP_SUMMARY"):
        with open(summary, "a", encoding="utf-8") as out:
            out.write(text)
    return 1 if stale(found, args.max_age_days) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
