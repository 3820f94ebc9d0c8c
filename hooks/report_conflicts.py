"""Last step of `copier update`: say which files need a hand, or that none does.

Copier finishes with exit status 0 even when it leaves conflicts, and it updates quietly, so
without this report a conflict is easy to miss. Run by copier.yml as the last after-stage
migration of every update, in the project folder; it reads git's state and changes nothing.

Usage: report_conflicts.py
"""

from __future__ import annotations

import subprocess
import sys


def _git_lines(*args: str) -> list[str]:
    result = subprocess.run(["git", *args], capture_output=True, text=True, check=False)
    return [line for line in result.stdout.splitlines() if line]


def needs_a_hand() -> tuple[list[str], list[str]]:
    """Files with conflict markers (unmerged), and the `.rej` files of `--conflict rej`."""
    unmerged = _git_lines("diff", "--name-only", "--relative", "--diff-filter=U")
    # As copier looks for them: untracked or ignored files of the project's folder.
    status = _git_lines("status", "--porcelain", "--ignored", ".")
    rejected = [
        line[3:] for line in status if line.startswith(("?? ", "!! ")) and line.endswith(".rej")
    ]
    return sorted(set(unmerged)), sorted(rejected)


def main() -> int:
    unmerged, rejected = needs_a_hand()
    if not unmerged and not rejected:
        print("copier update: no conflicts. Review the changes with `git diff`, then commit.")
        return 0
    print("copier update: these files need a hand before you commit.")
    for path in unmerged:
        print(f"  {path}: resolve the <<<<<<< / >>>>>>> markers, then `git add {path}`")
    for path in rejected:
        target = path.removesuffix(".rej")
        print(f"  {path}: apply the rejected change to {target} by hand, then delete {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
