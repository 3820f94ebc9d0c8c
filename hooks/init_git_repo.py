"""Post-copy task: make a freshly generated project a git repository with a first commit.

`copier update` needs the project under git. A project generated inside an existing repository
(a monorepo) is left to that repository. The commit works where git has no user configured:
it is then made as the project's author, from the answers.

Usage: init_git_repo.py [AUTHOR_NAME AUTHOR_EMAIL]   (run in the project folder)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FALLBACK_NAME = "Copier"
FALLBACK_EMAIL = "copier@localhost"


def _git(*args: str, cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=cwd, check=check, capture_output=True, text=True)


def inside_work_tree(path: Path) -> bool:
    result = _git("rev-parse", "--is-inside-work-tree", cwd=path, check=False)
    return result.returncode == 0 and result.stdout.strip() == "true"


def configured(key: str, cwd: Path) -> bool:
    return bool(_git("config", "--get", key, cwd=cwd, check=False).stdout.strip())


def init_repository(path: Path, author_name: str, author_email: str) -> str:
    """Initialise and commit; returns what was done, for the user."""
    if inside_work_tree(path):
        return "The project is inside an existing git repository: commit it there."
    _git("init", "--quiet", "--initial-branch=main", cwd=path)
    _git("add", "--all", cwd=path)
    identity: list[str] = []
    if not configured("user.name", path):
        identity += ["-c", f"user.name={author_name or FALLBACK_NAME}"]
    if not configured("user.email", path):
        identity += ["-c", f"user.email={author_email or FALLBACK_EMAIL}"]
    _git(
        *identity,
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        "Generate project from template",
        cwd=path,
    )
    return "Initialised a git repository with a first commit."


def main(argv: list[str]) -> int:
    name, email = [*argv, "", ""][:2]
    try:
        print(init_repository(Path.cwd(), name, email))
    except FileNotFoundError:
        print("git is not installed: skipped `git init`. `copier update` needs a git repository.")
    except subprocess.CalledProcessError as error:
        print(f"git {' '.join(error.cmd[1:])} failed: {error.stderr.strip()}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
