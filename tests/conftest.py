"""Shared fixtures: the variants of variants.yaml, rendered and synthesized once per session."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from matrix import SynthReport, load_variants, render, synthesize

# jsii prints an end-of-life banner for Node 20 on every start; it is noise in test output.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

VARIANTS = load_variants()
SUPPORTED: dict[str, dict[str, Any]] = VARIANTS["supported"]
UNSUPPORTED: dict[str, dict[str, Any]] = VARIANTS["unsupported"]


class Rendered:
    """One rendered variant: where it is and every answer it was generated with."""

    def __init__(self, name: str, project_dir: Path, answers: dict[str, Any]) -> None:
        self.name = name
        self.project_dir = project_dir
        self.answers = answers

    @property
    def package_dir(self) -> Path:
        return self.project_dir / self.answers["package_name"]

    def stage(self, environment: str) -> str:
        return f"{self.answers['project_slug']}-{environment}"


@pytest.fixture(scope="session")
def rendered_variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    root = tmp_path_factory.mktemp("variants")
    return {
        name: Rendered(name, root / name, render(answers, root / name))
        for name, answers in SUPPORTED.items()
    }


@pytest.fixture(scope="session")
def synthesized(
    rendered_variants: dict[str, Rendered], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, SynthReport]:
    """Every supported variant synthesized in this one process (see tests/matrix.py)."""
    root = tmp_path_factory.mktemp("cdk-out")
    return {
        name: synthesize(
            variant.project_dir,
            variant.answers["package_name"],
            root / name,
            # The built-in CloudFormation validation costs ~6 s a process; all_on keeps it.
            builtin_validation=name == "all_on",
        )
        for name, variant in rendered_variants.items()
    }
