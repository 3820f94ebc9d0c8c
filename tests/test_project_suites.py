"""Rendered projects pass their own test suites, as a team's CI runs them (`uv run pytest`).

The defaults project's suite runs in the update scenario (tests/test_update.py). Each variant
here is a project whose own tests take another shape, chosen because a whole suite costs
20 - 40 s of the template's CI (a render, `uv sync`, a synth with cdk-nag, the tests):
- frontend_without_pipeline: an account per environment, so one ci-access stage per
  account; pt-BR; a compliance pack; no pipeline.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from matrix import load_variants, project_environment, render

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("name", ["frontend_without_pipeline"])
def test_the_project_passes_its_own_tests(name: str, tmp_path: Path) -> None:
    uv = shutil.which("uv")
    assert uv, "uv is needed to install the rendered project: run the tests through nox"
    project = tmp_path / name
    answers = render(load_variants()["supported"][name], project)

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command,
            cwd=project,
            env=project_environment(),
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )

    sync = run(uv, "sync", "--quiet", "--python", answers["python_version"])
    assert sync.returncode == 0, sync.stderr
    tests = run(uv, "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout[-5000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and " failed" not in tests.stdout
