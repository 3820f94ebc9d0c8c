"""Copy and update task: write uv.lock, the project's lockfile, so that its CI and its deploys
install exactly the versions that were tested (`uv sync --locked`).

A lock is resolved from the package index for the rendered pyproject.toml, so it needs uv and
the index: without either, the project is left without uv.lock and the message says what to
do. The task never fails the copy. On update it refreshes the lock for the new pyproject.toml,
moving only what the update changed.

Usage: lock_dependencies.py   (run in the project folder, before its first commit)
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

TIMEOUT_SECONDS = 300
# What points uv at another environment than the project's: a copy run from a virtual
# environment or a nox session (UV_PYTHON=3.11 there) would lock for that Python, which the
# project's requires-python refuses, and leave no uv.lock. The project's .python-version and
# pyproject.toml say which Python to lock for.
NOT_THE_PROJECTS = ("UV_PYTHON", "UV_PROJECT_ENVIRONMENT", "VIRTUAL_ENV")
WHAT_TO_DO = (
    "run `uv lock` in the project and commit uv.lock: its CI installs with "
    "`uv sync --locked` and stops without it"
)


def lock(project: Path) -> str:
    """Lock the project's dependencies; returns what was done, for the user."""
    uv = shutil.which("uv")
    if uv is None:
        return f"uv is not installed, so uv.lock was not written: install uv, then {WHAT_TO_DO}."
    try:
        result = subprocess.run(
            [uv, "lock", "--quiet"],
            cwd=project,
            env=lock_environment(os.environ),
            capture_output=True,
            text=True,
            timeout=TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired:
        return f"`uv lock` took over {TIMEOUT_SECONDS} s and was stopped: {WHAT_TO_DO}."
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["no message"])[-1]
        return f"`uv lock` failed ({reason}), so uv.lock was not written: {WHAT_TO_DO}."
    return "Wrote uv.lock: CI and deploys install exactly its versions (uv sync --locked)."


def lock_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """``environment`` without what would point `uv lock` at another environment."""
    return {name: value for name, value in environment.items() if name not in NOT_THE_PROJECTS}


def main() -> None:
    print(lock(Path.cwd()))


if __name__ == "__main__":
    main()
