"""After `copier update`: remove the folder of a component turned off, if only what git ignores
is left in it.

`copier update` deletes the files of a component that was switched off, but not what git
ignores inside its folder: Python's `__pycache__`, the front end's `node_modules` or `.next`.
The folder then stays, as if the component were still there. This removes such a folder when
every file left in it is one git ignores; a file of the team's, tracked or not, keeps the whole
folder. Run by copier.yml as an after-stage migration of every update, in the project folder.

Usage: remove_leftover_folders.py PACKAGE COMPONENT=True|False ...
       e.g. remove_leftover_folders.py datathon_platform pipeline=False network=True
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


def _git_paths(command: str, *args: str) -> list[Path]:
    result = subprocess.run(
        ["git", command, "-z", *args], capture_output=True, text=True, check=True
    )
    return [Path(name) for name in result.stdout.split("\0") if name]


def holds_only_ignored_files(folder: Path) -> bool:
    """Whether all that is left in ``folder`` is what git ignores: no file git tracks is still
    there, and no file git would list as untracked."""
    tracked = _git_paths("ls-files", "--", str(folder))
    if any(path.exists() for path in tracked):
        return False
    return not _git_paths("ls-files", "--others", "--exclude-standard", "--", str(folder))


def leftover_folders(package: str, components: dict[str, bool]) -> list[Path]:
    """The folders of components turned off that hold nothing but files git ignores."""
    return [
        Path(package) / component
        for component, on in components.items()
        if not on
        and (Path(package) / component).is_dir()
        and holds_only_ignored_files(Path(package) / component)
    ]


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    package, *pairs = argv
    components = {name: value == "True" for name, _, value in (p.partition("=") for p in pairs)}
    try:
        folders = leftover_folders(package, components)
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"Left the folders of components turned off as they are: git failed ({error}).")
        return 0
    for folder in folders:
        shutil.rmtree(folder)
        print(f"Removed {folder}/: its component is off, and only files git ignores were left.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
