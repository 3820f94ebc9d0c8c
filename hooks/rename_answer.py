"""Migration: rename a question's answer in .copier-answers.yml, keeping the value given.

Usage, as a before-stage entry of `_migrations` in copier.yml (see docs/updating.md):

    rename_answer.py OLD NEW [--answers-file .copier-answers.yml]

Copier renders the previous template version with the answers as they were, then runs the
before-stage migrations, then reads the answers file again for the new version: renamed here,
the team's answer reaches the renamed question instead of its default.

Idempotent: run again, it finds the new name already there and says so. Only the Python
standard library is needed, so it runs with the Python that runs copier.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")


def rename_answer(text: str, old: str, new: str) -> tuple[str, str]:
    """Rename the top-level key `old` of an answers file; returns the text and what happened."""
    has_old = re.search(rf"^{old}:", text, re.M) is not None
    has_new = re.search(rf"^{new}:", text, re.M) is not None
    if has_old and has_new:
        return text, f"has both {old} and {new}: keep one of them by hand"
    if has_old:
        return re.sub(rf"^{old}:", f"{new}:", text, count=1, flags=re.M), "renamed"
    if has_new:
        return text, "already renamed: nothing to do"
    return text, f"has no answer {old}: nothing to do"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old", help="the question's name in the previous template version")
    parser.add_argument("new", help="its name in the new version")
    parser.add_argument("--answers-file", type=Path, default=Path(".copier-answers.yml"))
    args = parser.parse_args(argv)
    if not (NAME.match(args.old) and NAME.match(args.new)) or args.old == args.new:
        parser.error("OLD and NEW must be two different question names")
    path: Path = args.answers_file
    if not path.is_file():
        print(f"rename answer {args.old} -> {args.new}: no {path}: nothing to do")
        return 0
    text, outcome = rename_answer(path.read_text(encoding="utf-8"), args.old, args.new)
    path.write_text(text, encoding="utf-8")
    print(f"rename answer {args.old} -> {args.new}: {path}: {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
