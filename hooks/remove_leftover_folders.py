"""After `copier update`: remove the folder of a component turned off, if only caches are left.

`copier update` deletes the files of a component that was switched off, but not what tools
wrote inside its folder and git ignores: Python's `__pycache__`, the front end's `node_modules`
and `.next`. The folder then stays, as if the component were still there. This removes such a
folder when nothing but those caches is left in it. Any other file keeps the whole folder,
ignored by git or not: it may be the team's (local data, an `.env`), and this never guesses.
Run by copier.yml as an after-stage migration of every update, in the project folder.

Usage: remove_leftover_folders.py PACKAGE COMPONENT=True|False ...
       e.g. remove_leftover_folders.py datathon_platform pipeline=False network=True
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

# Folders that tools rebuild on their own, and that the project's .gitignore ignores.
CACHES = frozenset(
    {"__pycache__", ".pytest_cache", ".ruff_cache", ".mypy_cache", "node_modules", ".next"}
)


def holds_only_caches(folder: Path) -> bool:
    """Whether every file under ``folder`` lies in one of the ``CACHES`` folders."""
    for root, folders, files in os.walk(folder):
        if files:
            return False
        kept = [name for name in folders if name not in CACHES]
        if any(os.path.islink(os.path.join(root, name)) for name in kept):
            return False  # a link is somebody's, wherever it points
        folders[:] = kept
    return True


def leftover_folders(package: str, components: dict[str, bool]) -> list[Path]:
    """The folders of components turned off that hold nothing but caches."""
    return [
        Path(package) / component
        for component, on in components.items()
        if not on
        and (Path(package) / component).is_dir()
        and not (Path(package) / component).is_symlink()
        and holds_only_caches(Path(package) / component)
    ]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    package, *pairs = argv
    components = {name: value == "True" for name, _, value in (p.partition("=") for p in pairs)}
    for folder in leftover_folders(package, components):
        shutil.rmtree(folder)
        print(f"Removed {folder}/: its component is off, and only caches were left in it.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
