"""Shared fixtures: the variants of variants.yaml, rendered and synthesized once per session.

`VARIANT_SHARD=i/N` narrows the run to the tests of the variant matrix, on the i-th of N
shares of the variants (tests/matrix.py balances them by estimated cost); CI runs the N
shards as parallel jobs, and the tests that use no variant in a job of their own.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

from matrix import SHARD_VARIABLE, SynthReport, load_variants, run_matrix, shard_variants

# jsii prints an end-of-life banner for Node 20 on every start; it is noise in test output.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

VARIANTS = load_variants()
SUPPORTED: dict[str, dict[str, Any]] = VARIANTS["supported"]
UNSUPPORTED: dict[str, dict[str, Any]] = VARIANTS["unsupported"]
# The variants this run renders and synthesizes: this shard's, or all of them.
SHARD = os.environ.get(SHARD_VARIABLE) or None
MATRIX: dict[str, dict[str, Any]] = {
    name: SUPPORTED[name] for name in shard_variants(SHARD, SUPPORTED)
}


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


def installed_tool(name: str) -> str:
    """A command-line tool of the test environment (the test group of pyproject.toml): under
    nox its absence fails the test, run by hand it skips it."""
    search = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    found = shutil.which(name, path=search)
    if found is None:
        if os.environ.get("NOX_CURRENT_SESSION"):
            pytest.fail(f"{name} is missing from the test environment (pyproject.toml)")
        pytest.skip(f"{name} is not installed: run the tests with `nox -s tests`")
    return found


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


class ShardVariants(dict):
    """The session's variants by name; a name left to another shard says what to do."""

    def __missing__(self, name: str) -> Any:
        raise KeyError(
            f"variant {name!r} is not in shard {SHARD}: mark the test "
            f"@pytest.mark.variants({name!r}) so that it runs in the shard that holds it"
        )


def pytest_report_header(config: pytest.Config) -> str | None:
    if SHARD:
        return f"variant shard {SHARD}: {', '.join(MATRIX)}"
    return None


@pytest.hookimpl(tryfirst=True)  # before -m reads the markers
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the tests that use the variant matrix `matrix`; in a shard, keep only those, less
    the ones that need the whole matrix or a variant another shard holds."""
    for item in items:
        if "matrix" in getattr(item, "fixturenames", ()):
            item.add_marker("matrix")
    if not SHARD:
        return
    kept, left = [], []
    for item in items:
        named = item.get_closest_marker("variants")
        skip = item.get_closest_marker("skip")
        in_shard = (
            item.get_closest_marker("matrix") is not None
            and item.get_closest_marker("whole_matrix") is None
            and set(named.args if named else ()) <= set(MATRIX)
            # A parametrization over variants that this shard does not hold.
            and not (skip and str(skip.kwargs.get("reason")).startswith("got empty parameter set"))
        )
        (kept if in_shard else left).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


@pytest.fixture(scope="session")
def matrix_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("variants")


@pytest.fixture(scope="session")
def matrix(matrix_root: Path) -> dict[str, tuple[dict[str, Any], SynthReport]]:
    """The session's variants (MATRIX) rendered and synthesized once (tests/matrix.py)."""
    return run_matrix(matrix_root, names=list(MATRIX))


@pytest.fixture(scope="session")
def rendered_variants(
    matrix: dict[str, tuple[dict[str, Any], SynthReport]], matrix_root: Path
) -> dict[str, Rendered]:
    return ShardVariants(
        (name, Rendered(name, matrix_root / name, answers))
        for name, (answers, _report) in matrix.items()
    )


@pytest.fixture(scope="session")
def synthesized(matrix: dict[str, tuple[dict[str, Any], SynthReport]]) -> dict[str, SynthReport]:
    return ShardVariants((name, report) for name, (_answers, report) in matrix.items())
