"""Shared fixtures: the variants of variants.yaml, rendered and synthesized once per session."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from matrix import SynthReport, load_variants, run_matrix

# jsii prints an end-of-life banner for Node 20 on every start; it is noise in test output.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

VARIANTS = load_variants()
SUPPORTED: dict[str, dict[str, Any]] = VARIANTS["supported"]
UNSUPPORTED: dict[str, dict[str, Any]] = VARIANTS["unsupported"]


# What tools write into a project (git, environments, installs, builds, caches, synth output):
# left out wherever the tests scan or compare what the template rendered.
TOOL_FOLDERS = frozenset({".git", ".venv", "node_modules", ".next", "__pycache__", "cdk.out"})


def project_files(project_dir: Path) -> list[Path]:
    """Every file and folder of a project, sorted, less what lies in the tools' folders."""
    return sorted(
        path
        for path in project_dir.rglob("*")
        if not TOOL_FOLDERS.intersection(path.relative_to(project_dir).parts)
    )


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
def matrix_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("variants")


@pytest.fixture(scope="session")
def matrix(matrix_root: Path) -> dict[str, tuple[dict[str, Any], SynthReport]]:
    """Every supported variant rendered and synthesized once per session (tests/matrix.py)."""
    return run_matrix(matrix_root)


@pytest.fixture(scope="session")
def rendered_variants(
    matrix: dict[str, tuple[dict[str, Any], SynthReport]], matrix_root: Path
) -> dict[str, Rendered]:
    return {
        name: Rendered(name, matrix_root / name, answers)
        for name, (answers, _report) in matrix.items()
    }


@pytest.fixture(scope="session")
def synthesized(matrix: dict[str, tuple[dict[str, Any], SynthReport]]) -> dict[str, SynthReport]:
    return {name: report for name, (_answers, report) in matrix.items()}
