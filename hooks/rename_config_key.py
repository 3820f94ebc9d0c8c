"""Migration: rename a key of config/<environment>.yaml, keeping every environment's value.

Usage, as an after-stage entry of `_migrations` in copier.yml (see docs/updating.md):

    rename_config_key.py OLD NEW [--config-dir config]

OLD and NEW are dotted paths that differ only in their last part, e.g.
`data_lake.logs_days data_lake.logs_expiration_days`: the key keeps its place, its value and
its comments; only its name changes. Every `*.yaml` file of the config folder is migrated,
the environments a team added by hand included.

Copier merges a team's config files with the new template version line by line. Where the team
had changed the value of the renamed key, or a line right next to it, that merge conflicts: the
template renamed a line that the team changed. For such a file this script redoes copier's
three-way merge with the key renamed in the team's version and in the previous template
version too, so the team's value ends up under the new name; whatever still conflicts is left
marked, with its merge stages, for a person to resolve.

Idempotent: run again, it finds the new name already there and says so. Only git and the
Python standard library are needed, so it runs with the Python that runs copier.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

# Copier's labels for inline conflicts, so that re-merged files look like the rest.
MERGE_LABELS = ("before updating", "last update", "after updating")
KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][A-Za-z0-9_-]*)(?P<rest> *:(?: .*)?)$")


def rename_key(text: str, old_path: list[str], new_key: str) -> tuple[str, int]:
    """Rename the mapping key at `old_path` in YAML `text`; returns the text and the count.

    A line-based edit, so that comments, blank lines and the order of keys stay as they are.
    """
    lines = text.splitlines(keepends=True)
    parents: list[tuple[int, str]] = []  # (indent, key) of the mappings the line is inside
    renamed = 0
    for number, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if not body.strip() or body.lstrip().startswith("#"):
            continue
        indent = len(body) - len(body.lstrip(" "))
        while parents and parents[-1][0] >= indent:
            parents.pop()
        match = KEY_LINE.match(body)
        if match is None:  # a list item or a continued value
            continue
        if [key for _, key in parents] + [match["key"]] == old_path:
            lines[number] = f"{match['indent']}{new_key}{match['rest']}{line[len(body) :]}"
            renamed += 1
        parents.append((indent, match["key"]))
    return "".join(lines), renamed


def has_key(text: str, path: list[str]) -> bool:
    return rename_key(text, path, path[-1])[1] > 0


def _git(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], input=stdin, capture_output=True, text=True, check=False)


def merge_stages(path: Path) -> dict[int, tuple[str, str]]:
    """The unmerged index entries of `path` that copier recorded: stage -> (mode, content)."""
    listing = _git("ls-files", "--unmerged", "-z", "--", str(path)).stdout
    stages: dict[int, tuple[str, str]] = {}
    for entry in filter(None, listing.split("\0")):
        info, _ = entry.split("\t", 1)
        mode, blob, stage = info.split()
        stages[int(stage)] = (mode, _git("cat-file", "blob", blob).stdout)
    return stages


def merge(ours: str, base: str, theirs: str) -> tuple[str, bool]:
    """git merge-file of three texts: the result, and whether it is free of conflicts."""
    with tempfile.TemporaryDirectory(prefix="rename-config-key.") as folder:
        files = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            file = Path(folder, name)
            file.write_text(text, encoding="utf-8")
            files.append(str(file))
        labels = [arg for label in MERGE_LABELS for arg in ("-L", label)]
        result = _git("merge-file", "-p", *labels, *files)
    if result.returncode < 0 or result.returncode > 127:
        raise RuntimeError(f"git merge-file failed: {result.stderr.strip()}")
    return result.stdout, result.returncode == 0


def record_stages(path: Path, stages: dict[int, tuple[str, str]]) -> None:
    """Replace the index entries of a still-conflicted file by these (renamed) stages."""
    # The index names files from the top of the repository, which may hold the project below it.
    indexed = _git("rev-parse", "--show-prefix").stdout.strip() + path.as_posix()
    entries = [f"0 {'0' * 40}\t{indexed}"]
    for stage, (mode, text) in sorted(stages.items()):
        blob = _git("hash-object", "-w", "--stdin", stdin=text).stdout.strip()
        entries.append(f"{mode} {blob} {stage}\t{indexed}")
    _git("update-index", "--index-info", stdin="\n".join(entries) + "\n")


def migrate_conflicted(path: Path, old: list[str], new_key: str) -> str | None:
    """Redo copier's merge of a conflicted file with the key renamed on every side."""
    stages = merge_stages(path)
    if not {1, 2, 3} <= stages.keys():
        return None
    renamed = {
        stage: (mode, rename_key(text, old, new_key)[0]) for stage, (mode, text) in stages.items()
    }
    if renamed == stages:  # the key is not in this file: its conflict is about something else
        return None
    merged, clean = merge(renamed[2][1], renamed[1][1], renamed[3][1])
    path.write_text(merged, encoding="utf-8")
    if clean:
        # As copier leaves a file it merged without conflict: changed, not staged.
        _git("reset", "--quiet", "--", str(path))
        return "renamed; your value is kept and merged with the template's changes"
    record_stages(path, renamed)
    return "renamed; other changes in the file still conflict: resolve the <<<<<<< markers"


def migrate_file(path: Path, old: list[str], new: list[str]) -> str:
    """Migrate one config file; returns what was done, for the person updating."""
    outcome = migrate_conflicted(path, old, new[-1])
    if outcome:
        return outcome
    text = path.read_text(encoding="utf-8")
    if has_key(text, old) and has_key(text, new):
        return f"has both {'.'.join(old)} and {'.'.join(new)}: keep one of them by hand"
    renamed_text, count = rename_key(text, old, new[-1])
    if count:
        path.write_text(renamed_text, encoding="utf-8")
        return "renamed; its value is kept"
    if has_key(text, new):
        return "already renamed: nothing to do"
    return f"has no {'.'.join(old)}: nothing to do"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="dotted path of the key today, e.g. data_lake.logs_days")
    parser.add_argument("new", help="the same path with the new name of its last part")
    parser.add_argument("--config-dir", type=Path, default=Path("config"))
    args = parser.parse_args(argv)
    old, new = args.old.split("."), args.new.split(".")
    if old[:-1] != new[:-1] or old == new:
        parser.error("OLD and NEW must differ in their last part only (the key keeps its place)")
    files = sorted(args.config_dir.glob("*.yaml"))
    if not files:
        print(f"rename {args.old} -> {args.new}: no {args.config_dir}/*.yaml: nothing to do")
    for path in files:
        print(f"rename {args.old} -> {args.new}: {path}: {migrate_file(path, old, new)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
