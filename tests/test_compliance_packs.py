"""The compliance packs are one table, includes/compliance_packs.yml: copier offers exactly its
packs, cdk-nag checks each with the class and rule prefix it names, the project carries it,
and no file that renders the project names a pack on its own."""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import SUPPORTED, project_files
from matrix import TEMPLATE_ROOT, render
from questions_reference import load_all_questions

PACKS: dict[str, dict[str, Any]] = yaml.safe_load(
    (TEMPLATE_ROOT / "includes" / "compliance_packs.yml").read_text(encoding="utf-8")
)["compliance_packs"]["default"]


def test_copier_offers_none_and_exactly_the_packs_of_the_table(copie: Any) -> None:
    # copier lists the choices it accepts when it refuses an answer.
    result = copie.copy(extra_answers={"compliance_pack": "no-such-pack"})
    assert result.exit_code != 0
    assert f"is not in {['none', *PACKS]}" in str(result.exception), result.exception


def test_the_questions_reference_reads_the_same_choices() -> None:
    # docs/questions.md and the pairwise coverage of tests/test_variants.py read them here.
    assert load_all_questions()["compliance_pack"]["choices"] == ["none", *PACKS]


@pytest.mark.parametrize("pack", sorted(PACKS))
def test_cdk_nag_checks_each_pack_with_the_class_and_prefix_of_the_table(pack: str) -> None:
    import cdk_nag

    checks = getattr(cdk_nag, PACKS[pack]["checks"])
    assert issubclass(checks, cdk_nag.NagPack)
    assert checks().read_pack_name == PACKS[pack]["rule_prefix"]
    # One line each, as the rendered compliance/packs.py holds it.
    assert "\n" not in PACKS[pack]["description"] and len(PACKS[pack]["description"]) <= 70


def test_the_project_carries_the_table(tmp_path: Path) -> None:
    answers = render(SUPPORTED["minimal"], tmp_path / "project", tasks=False)
    package = answers["package_name"]
    sys.path.insert(0, str(tmp_path / "project"))
    try:
        module = importlib.import_module(f"{package}.compliance.packs")
        carried = {
            name: {
                "checks": pack.checks.__name__,
                "rule_prefix": pack.rule_prefix,
                "description": pack.description,
                "acknowledged_rules": sorted(pack.acknowledged_rules),
            }
            for name, pack in module.PACKS.items()
        }
    finally:
        sys.path.remove(str(tmp_path / "project"))
        for name in [name for name in sys.modules if name.split(".")[0] == package]:
            del sys.modules[name]
    assert carried == {
        name: {**pack, "acknowledged_rules": sorted(pack["acknowledged_rules"])}
        for name, pack in PACKS.items()
    }


def test_no_file_that_renders_the_project_names_a_pack_itself() -> None:
    """A pack's answer, class or rule prefix written anywhere but the table would drift from
    it (as copier.yml's choices, app.py's if/elif chain and nag.py's prefixes once did)."""
    names = [
        name for pack, spec in PACKS.items() for name in (pack, spec["checks"], spec["rule_prefix"])
    ]
    written = re.compile("|".join(re.escape(name) for name in names), re.IGNORECASE)
    sources = [
        TEMPLATE_ROOT / "copier.yml",
        *(path for path in project_files(TEMPLATE_ROOT / "template") if path.is_file()),
        *(TEMPLATE_ROOT / "hooks").glob("*.py"),
        *(TEMPLATE_ROOT / "tests").glob("*.py"),
    ]
    found = []
    for path in sources:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        where = path.relative_to(TEMPLATE_ROOT)
        found += [f"{where}: {match.group(0)}" for match in written.finditer(text)]
    assert found == []
