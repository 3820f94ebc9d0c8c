"""hooks/init_git_repo.py: a new project becomes a git repository, even where git has no user."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from matrix import TEMPLATE_ROOT, render

HOOK = TEMPLATE_ROOT / "hooks" / "init_git_repo.py"


@pytest.fixture
def no_git_identity(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine where git has never been configured."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    for variable in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "EMAIL"):
        monkeypatch.delenv(variable, raising=False)


def run_hook(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(HOOK), *args], cwd=cwd, capture_output=True, text=True, env=os.environ
    )


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_commits_as_the_project_author_when_git_has_no_user(
    tmp_path: Path, no_git_identity: None
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "README.md").write_text("hello\n")

    result = run_hook(project, "Team Rocket", "rocket@example.com")

    assert result.returncode == 0, result.stderr
    assert "Initialised a git repository" in result.stdout
    assert git(project, "log", "--format=%an <%ae>|%s") == (
        "Team Rocket <rocket@example.com>|Generate project from template"
    )
    assert git(project, "status", "--porcelain") == ""
    assert git(project, "branch", "--show-current") == "main"


def test_leaves_a_project_inside_an_existing_repository_alone(
    tmp_path: Path, no_git_identity: None
) -> None:
    monorepo = tmp_path / "monorepo"
    project = monorepo / "services" / "datathon"
    project.mkdir(parents=True)
    git(monorepo, "init", "--quiet")

    result = run_hook(project, "Team", "team@example.com")

    assert result.returncode == 0, result.stderr
    assert "inside an existing git repository" in result.stdout
    assert not (project / ".git").exists()
    assert git(monorepo, "rev-list", "--all") == ""


def test_copier_copy_leaves_a_clean_repository_with_one_commit(tmp_path: Path) -> None:
    """What a team gets from `copier copy`: the template's task committed every rendered file."""
    project = tmp_path / "project"
    render({}, project)

    assert git(project, "status", "--porcelain") == ""
    assert git(project, "log", "--format=%s") == "Generate project from template"
    on_disk = sorted(
        path.relative_to(project).as_posix()
        for path in project.rglob("*")
        if path.is_file() and ".git" not in path.relative_to(project).parts
    )
    committed = git(project, "ls-files").splitlines()
    assert committed == on_disk
    if shutil.which("uv"):
        # The lock task's uv.lock (uv and the package index at hand), written even from this
        # test session, whose uv variables point at its own environment and Python.
        assert "uv.lock" in committed


# ─── hooks/lock_dependencies.py ───────────────────────────────────────────────────────────

LOCK_HOOK = TEMPLATE_ROOT / "hooks" / "lock_dependencies.py"


def run_lock_hook(
    cwd: Path, path: str, environment: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(LOCK_HOOK)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(environment or {}), "PATH": path},
    )


def fake_uv(directory: Path, script: str) -> str:
    """A directory holding an `uv` that runs ``script`` (sh), for PATH."""
    directory.mkdir()
    uv = directory / "uv"
    uv.write_text(f"#!/bin/sh\n{script}\n")
    uv.chmod(0o755)
    return str(directory)


def test_the_lock_task_writes_uv_lock_with_uv(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    path = fake_uv(tmp_path / "bin", 'test "$1" = lock && echo "version = 1" > uv.lock')

    result = run_lock_hook(project, path)

    assert result.returncode == 0, result.stderr
    assert "Wrote uv.lock" in result.stdout
    assert (project / "uv.lock").exists()


def test_the_lock_is_for_the_projects_python_not_the_callers(tmp_path: Path) -> None:
    """A copy run from a virtual environment or a nox session (UV_PYTHON=3.11 there) still
    locks for the project's Python: uv gets none of what points it at another environment,
    and keeps the team's own settings."""
    project = tmp_path / "project"
    project.mkdir()
    path = fake_uv(tmp_path / "bin", 'export -p > seen-environment; echo "version = 1" > uv.lock')
    caller = {
        "UV_PYTHON": "3.11",
        "VIRTUAL_ENV": str(tmp_path / "venv"),
        "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv"),
        "UV_INDEX_URL": "https://packages.example.com/simple",
    }

    result = run_lock_hook(project, path, caller)

    assert "Wrote uv.lock" in result.stdout, result.stdout + result.stderr
    seen = (project / "seen-environment").read_text()
    leaked = [
        name
        for name in ("UV_PYTHON", "VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT")
        if f" {name}=" in seen
    ]
    assert leaked == []
    assert " UV_INDEX_URL=" in seen
    assert "https://packages.example.com/simple" in seen


@pytest.mark.parametrize(
    ("uv_script", "message"),
    [
        (None, "uv is not installed, so uv.lock was not written"),
        ("echo 'error: Failed to fetch: https://pypi.org/simple/' >&2; exit 2", "Failed to fetch"),
    ],
    ids=["without-uv", "offline"],
)
def test_without_a_lock_the_copy_goes_on_and_says_what_to_do(
    tmp_path: Path, uv_script: str | None, message: str
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    path = fake_uv(tmp_path / "bin", uv_script) if uv_script else str(tmp_path / "nothing")

    result = run_lock_hook(project, path)

    assert result.returncode == 0, result.stderr
    assert message in result.stdout
    assert "run `uv lock` in the project and commit uv.lock" in result.stdout
    assert not (project / "uv.lock").exists()
