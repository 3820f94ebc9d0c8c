"""The pins stay fresh: Renovate's config (.github/renovate.json) passes Renovate's own schema,
its managers find every pin of includes/versions.yml, and the weekly pin report
(scripts/pin_report.py) tells late pins from fresh ones. The report's registries are answered
from recorded data: the tests need no network."""

from __future__ import annotations

import datetime
import importlib.resources
import json
import re
import subprocess
from typing import Any

import yaml

import pin_report
from conftest import installed_tool
from matrix import TEMPLATE_ROOT

RENOVATE = TEMPLATE_ROOT / ".github" / "renovate.json"
CONFIG = json.loads(RENOVATE.read_text(encoding="utf-8"))
VERSIONS_FILE = "includes/versions.yml"
VERSIONS = yaml.safe_load((TEMPLATE_ROOT / VERSIONS_FILE).read_text())["versions"]["default"]


def validator() -> str:
    return installed_tool("check-jsonschema")


def test_renovate_config_passes_renovates_schema() -> None:
    # The schema Renovate publishes, as check-jsonschema ships it: no download.
    result = subprocess.run(
        [validator(), "--builtin-schema", "vendor.renovate", str(RENOVATE)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def renovate_schema() -> dict[str, Any]:
    validator()
    vendor = importlib.resources.files("check_jsonschema.builtin_schemas.vendor")
    return json.loads((vendor / "renovate.json").read_text(encoding="utf-8"))


def _properties(schema: dict[str, Any], definition: str) -> set[str]:
    items = schema["definitions"][definition]["items"]
    return {name for part in items.get("allOf", [items]) for name in part.get("properties", {})}


def test_renovate_config_uses_only_options_renovate_knows() -> None:
    """Renovate's validator refuses an unknown option; the schema alone lets it through."""
    schema = renovate_schema()
    unknown = set(CONFIG) - set(schema["properties"]) - {"$schema"}
    managers = _properties(schema, "customManagers")
    rules = _properties(schema, "packageRules")
    unknown |= {f"customManagers.{k}" for m in CONFIG["customManagers"] for k in m} - {
        f"customManagers.{k}" for k in managers
    }
    unknown |= {f"packageRules.{k}" for r in CONFIG["packageRules"] for k in r} - {
        f"packageRules.{k}" for k in rules
    }
    assert unknown == set()


def test_every_pin_of_versions_yml_is_found_by_a_manager() -> None:
    text = (TEMPLATE_ROOT / VERSIONS_FILE).read_text(encoding="utf-8")
    found = [
        pin
        for pin in pin_report.regex_manager_pins(CONFIG, TEMPLATE_ROOT)
        if pin.file == VERSIONS_FILE
    ]
    missing = []
    for key, value in VERSIONS.items():
        line = re.search(rf'^ +{key}: "{re.escape(str(value))}"$', text, re.M)
        assert line, f'{key} is not written as `{key}: "..."`'
        covered = [p for p in found if p.start <= line.start() and line.end() <= p.end]
        if not any(value in (p.version, p.digest) for p in covered):
            missing.append(key)
    assert missing == [], f"no Renovate manager in .github/renovate.json updates {missing}"


def test_the_managers_name_the_packages_the_registries_know() -> None:
    found = {(p.datasource, p.name) for p in pin_report.all_pins(TEMPLATE_ROOT)}
    for expected in [
        ("pypi", "aws-cdk-lib"),
        ("pypi", "scikit-learn"),
        ("pypi", "aws-lambda-powertools"),
        ("npm", "aws-cdk"),
        ("node-version", "node"),
        ("github-tags", "aws-actions/configure-aws-credentials"),
        ("github-tags", "pre-commit/pre-commit-hooks"),
        ("pypi", "nox"),
        ("python", "python_version"),
    ]:
        assert expected in found


def test_the_cdk_moves_as_one_group() -> None:
    groups = {
        name: rule["groupName"]
        for rule in CONFIG["packageRules"]
        for name in rule.get("matchPackageNames", [])
    }
    assert {groups.get(n) for n in ["aws-cdk-lib", "constructs", "cdk-nag", "aws-cdk"]} == {
        "AWS CDK"
    }
    assert len({groups.get(n) for n in ["scikit-learn", "joblib", "numpy"]}) == 1


def test_template_pins_that_a_manager_reads_twice_agree() -> None:
    """uv, node and copier are pinned in more than one file; Renovate moves them together only
    while they agree."""
    by_name: dict[tuple[str, str], set[str]] = {}
    for pin in pin_report.regex_manager_pins(CONFIG, TEMPLATE_ROOT) + pin_report.native_pins(
        TEMPLATE_ROOT
    ):
        by_name.setdefault((pin.datasource, pin.name), set()).add(pin.version)
    assert {name: versions for name, versions in by_name.items() if len(versions) > 1} == {}


# ─── The pin report, on recorded answers ──────────────────────────────────────────────────

TODAY = datetime.date(2027, 3, 1)
CHECKOUT = "3d3c42e5aac5ba805825da76410c181273ba90b1"  # actions/checkout v7.0.1
# Trimmed answers of the registries, in their own shapes.
RECORDED: dict[str, Any] = {
    "https://pypi.org/pypi/aws-cdk-lib/json": {
        "info": {"version": "2.290.0"},
        "releases": {
            "2.275.0": [{"upload_time_iso_8601": "2026-11-20T18:01:02.000000Z"}],
            "2.290.0": [{"upload_time_iso_8601": "2027-02-26T18:01:02.000000Z"}],
        },
    },
    "https://pypi.org/pypi/joblib/json": {
        "info": {"version": "1.6.0"},
        "releases": {"1.6.0": [{"upload_time_iso_8601": "2026-05-02T10:00:00Z"}]},
    },
    "https://registry.npmjs.org/aws-cdk": {
        "dist-tags": {"latest": "2.1149.0"},
        "time": {"2.1148.1": "2027-02-10T08:00:00.000Z", "2.1149.0": "2027-02-24T08:00:00.000Z"},
    },
    "https://nodejs.org/dist/index.json": [
        {"version": "v24.2.0", "date": "2026-11-01", "lts": "Krypton"},
        {"version": "v24.0.0", "date": "2026-05-06", "lts": False},
        {"version": "v23.0.0", "date": "2025-10-16", "lts": False},
        {"version": "v22.20.0", "date": "2026-09-24", "lts": "Jod"},
        {"version": "v22.0.0", "date": "2024-04-24", "lts": False},
    ],
    "https://api.github.com/repos/actions/checkout/tags?per_page=100": [
        {"name": "v7.0.1", "commit": {"sha": CHECKOUT}},
        {"name": "v7", "commit": {"sha": CHECKOUT}},
        {"name": "v6.1.0", "commit": {"sha": "d23441a48e516b6c34aea4fa41551a30e30af803"}},
    ],
    f"https://api.github.com/repos/actions/checkout/commits/{CHECKOUT}": {
        "commit": {"committer": {"date": "2026-07-17T12:00:00Z"}}
    },
    "https://endoflife.date/api/python.json": [
        {"cycle": "3.14", "releaseDate": "2025-10-07"},
        {"cycle": "3.13", "releaseDate": "2024-10-07"},
    ],
}


def recorded(url: str) -> Any:
    return RECORDED[url]


PINS = {
    "cdk": pin_report.Pin(VERSIONS_FILE, "pypi", "aws-cdk-lib", "2.275.0"),
    "joblib": pin_report.Pin(VERSIONS_FILE, "pypi", "joblib", "1.6.0"),
    "cli": pin_report.Pin(VERSIONS_FILE, "npm", "aws-cdk", "2.1148.1"),
    "node": pin_report.Pin(VERSIONS_FILE, "node-version", "node", "22"),
    "checkout": pin_report.Pin(
        VERSIONS_FILE, "github-tags", "actions/checkout", "v7.0.1", CHECKOUT
    ),
    "python": pin_report.Pin("copier.yml", "python", "python_version", "3.13"),
}


def late(max_age_days: int) -> list[str]:
    found = pin_report.rows(list(PINS.values()), recorded, TODAY)
    return sorted(row.pin.name for row in pin_report.stale(found, max_age_days))


def test_a_pin_is_late_when_behind_and_older_than_the_age_allowed() -> None:
    # aws-cdk-lib: 101 days, behind; aws-cdk: 19 days, behind; joblib: old but the newest;
    # node 22: behind 24 LTS; checkout: the newest tag; Python: 3.14 is out.
    assert late(60) == ["aws-cdk-lib", "node", "python_version"]
    assert late(10) == ["aws-cdk", "aws-cdk-lib", "node", "python_version"]
    assert late(2000) == []


def test_the_report_dates_each_pin_and_puts_the_late_ones_first() -> None:
    found = pin_report.rows(list(PINS.values()), recorded, TODAY)
    text = pin_report.report(found, 60)
    lines = text.splitlines()
    assert lines[0] == "# Pins: 3 of 6 behind and older than 60 days"
    assert lines[4].startswith("| **node** | includes/versions.yml | 22 | 2024-04-24 |")
    assert "| 24 | 2026-05-06 |" in lines[4]
    assert "| aws-cdk | includes/versions.yml | 2.1148.1 | 2027-02-10 | 19 | 2.1149.0 |" in text
    checkout = "| actions/checkout | includes/versions.yml | v7.0.1 | 2026-07-17 | 227 | v7.0.1 |"
    assert checkout in text


def test_a_pin_the_registry_does_not_know_is_late() -> None:
    unknown = pin_report.Pin(VERSIONS_FILE, "pypi", "aws-cdk-lib", "2.999.0")
    [row] = pin_report.rows([unknown], recorded, TODAY)
    assert row.age_days is None and pin_report.stale([row], 60) == []
    withdrawn = pin_report.Pin(VERSIONS_FILE, "pypi", "aws-cdk-lib", "2.100.0")
    [row] = pin_report.rows([withdrawn], recorded, TODAY)
    assert pin_report.stale([row], 60) == [row]
