"""The rendered project's own test suite passes in its own environment, as a team runs it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from matrix import project_environment, render

pytestmark = pytest.mark.slow


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=project_environment(), capture_output=True, text=True, timeout=900
    )


def test_defaults_project_tests_pass(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    assert uv, "uv is needed to install the rendered project: run the tests through nox"
    project = tmp_path / "project"
    answers = render({}, project)

    sync = run([uv, "sync", "--python", answers["python_version"]], project)
    assert sync.returncode == 0, sync.stderr

    tests = run([uv, "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"], project)
    assert tests.returncode == 0, tests.stdout[-5000:] + tests.stderr[-2000:]
    assert " passed" in tests.stdout and " failed" not in tests.stdout

    lint = run([uv, "run", "--no-sync", "ruff", "check", "."], project)
    assert lint.returncode == 0, lint.stdout
