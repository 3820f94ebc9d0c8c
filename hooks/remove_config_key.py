"""Migration: remove a key from config/<environment>.yaml, for a setting a release drops.

Usage, as an entry of `_migrations` in copier.yml (see docs/updating.md):

    remove_config_key.py KEY --why "what replaced it" [--config-dir config]

KEY is a dotted path, e.g. `data_lake.abort_incomplete_multipart_upload_days`. In every
`*.yaml` file of the config folder, the environments a team added by hand included, the key
and whatever is nested under it are removed, and so is its section when nothing else is left
in it; comments and the other keys stay as they are. Each removal is printed with the value
the team had set, so that nobody loses a tuned value without being told. Config files hold
only what a team changed (the defaults live in the components), so a release that drops a
setting finds it only where a team set it.

Idempotent: run again, it finds nothing to remove and says so. Only the Python standard
library is needed, so it runs with the Python that runs copier.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import NamedTuple

KEY_LINE = re.compile(r"^(?P<indent> *)(?P<key>[A-Za-z_][A-Za-z0-9_-]*) *:(?: (?P<value>.*))?$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _blank_or_comment(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


class Block(NamedTuple):
    """Where a key stands: its first line, the line after its block, its indent, and the line
    and indent of the mapping that holds it (None at the top of the file)."""

    start: int
    end: int
    indent: int
    parent: tuple[int, int] | None


def find_key(lines: list[str], path: list[str]) -> Block | None:
    """The block of the key at ``path`` in ``lines`` (with or without line endings): the key's
    line, its value's lines and the comments inside them; None when the key is not there."""
    parents: list[tuple[int, str, int]] = []  # (indent, key, line number) of open mappings
    for number, line in enumerate(lines):
        body = line.rstrip("\r\n")
        if _blank_or_comment(body):
            continue
        indent = _indent(body)
        while parents and parents[-1][0] >= indent:
            parents.pop()
        match = KEY_LINE.match(body)
        if match is None:
            continue
        if [key for _, key, _ in parents] + [match["key"]] != path:
            parents.append((indent, match["key"], number))
            continue
        end = number + 1
        while end < len(lines) and (
            _blank_or_comment(lines[end].rstrip("\r\n"))
            or _indent(lines[end]) > indent
            # A list may stand at its key's own indent in YAML.
            or (_indent(lines[end]) == indent and lines[end].lstrip().startswith("- "))
        ):
            end += 1
        # Trailing blank lines and comments belong to what follows, not to the key's block.
        while end > number + 1 and _blank_or_comment(lines[end - 1].rstrip("\r\n")):
            end -= 1
        parent = (parents[-1][2], parents[-1][0]) if parents else None
        return Block(number, end, indent, parent)
    return None


def remove_key(text: str, path: list[str]) -> tuple[str, str | None]:
    """``text`` without the key at ``path`` (and its block); returns the text and the value
    that was removed as written in the file (None when the key is not there)."""
    lines = text.splitlines(keepends=True)
    block = find_key(lines, path)
    if block is None:
        return text, None
    match = KEY_LINE.match(lines[block.start].rstrip("\r\n"))
    assert match is not None  # find_key matched this line
    value = (match["value"] or "").strip() or "".join(lines[block.start + 1 : block.end]).strip()
    remaining = lines[: block.start] + lines[block.end :]
    if block.parent and not _has_children(remaining, *block.parent):
        del remaining[block.parent[0]]
    return "".join(remaining), value


def _has_children(lines: list[str], parent: int, parent_indent: int) -> bool:
    for line in lines[parent + 1 :]:
        body = line.rstrip("\r\n")
        if _blank_or_comment(body):
            continue
        return _indent(body) > parent_indent
    return False


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("key", help="dotted path of the key, e.g. data_lake.logs_days")
    parser.add_argument("--why", required=True, help="what a team should know instead")
    parser.add_argument("--config-dir", type=Path, default=Path("config"))
    args = parser.parse_args(argv)
    path = args.key.split(".")
    files = sorted(args.config_dir.glob("*.yaml"))
    if not files:
        print(f"remove {args.key}: no {args.config_dir}/*.yaml: nothing to do")
    for file in files:
        text, value = remove_key(file.read_text(encoding="utf-8"), path)
        if value is None:
            print(f"remove {args.key}: {file}: not set: nothing to do")
            continue
        file.write_text(text, encoding="utf-8")
        print(f"remove {args.key}: {file}: removed (it was {value}); {args.why}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
