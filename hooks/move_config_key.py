"""Migration: move a key of config/<environment>.yaml to another section, keeping its value.

Usage, as an entry of `_migrations` in copier.yml (see docs/updating.md):

    move_config_key.py OLD NEW [--config-dir config]

OLD and NEW are dotted paths of two parts with the same key, e.g.
`pipeline.notification_emails monitoring.notification_emails`. In every `*.yaml` file of the
config folder, the environments a team added by hand included, the key's lines (its value,
inline or nested, and the comments inside it) leave OLD's section, which goes too when nothing
else is left in it, and go to the top of NEW's section, which is added at the end of the file
when the file has none. The template writes no section into these files (only account and
region), so copier's merge never conflicts on the lines a team added: a line-based move is
enough.

Idempotent: run again, it finds the key moved already and says so. Only the Python standard
library is needed, so it runs with the Python that runs copier.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from remove_config_key import find_key, remove_key

SECTION_LINE = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_-]*) *:(?P<rest>.*)$")


def _block(text: str, path: list[str]) -> list[str]:
    """The lines of the key at ``path``, dedented to the key's own indent."""
    lines = text.splitlines()
    block = find_key(lines, path)
    if block is None:
        return []
    return [line[block.indent :] for line in lines[block.start : block.end]]


def move_key(text: str, old: list[str], new: list[str]) -> tuple[str, bool]:
    """``text`` with the key at ``old`` moved to ``new``; whether it moved."""
    block = _block(text, old)
    if not block:
        return text, False
    text, _ = remove_key(text, old)
    moved = [
        f"  {new[1]}{line[len(old[1]) :]}" if i == 0 else f"  {line}"
        for i, line in enumerate(block)
    ]
    lines = text.splitlines()
    for number, line in enumerate(lines):
        top = SECTION_LINE.match(line)
        if top and top["key"] == new[0] and not top["rest"].strip():
            lines[number + 1 : number + 1] = moved
            return "\n".join(lines) + "\n", True
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join([*lines, f"{new[0]}:", *moved]) + "\n", True


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="dotted path, e.g. pipeline.notification_emails")
    parser.add_argument("new", help="dotted path, e.g. monitoring.notification_emails")
    parser.add_argument("--config-dir", type=Path, default=Path("config"))
    args = parser.parse_args(argv)
    old, new = args.old.split("."), args.new.split(".")
    if len(old) != 2 or len(new) != 2 or old[1] != new[1]:
        parser.error("give section.key for both, with the same key")
    files = sorted(args.config_dir.glob("*.yaml"))
    if not files:
        print(f"move {args.old}: no {args.config_dir}/*.yaml: nothing to do")
    for file in files:
        text, moved = move_key(file.read_text(encoding="utf-8"), old, new)
        if moved:
            file.write_text(text, encoding="utf-8")
            print(f"move {args.old}: {file}: now {args.new}, with its value")
        else:
            print(f"move {args.old}: {file}: not set: nothing to do")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
