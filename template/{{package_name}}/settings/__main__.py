"""Print the settings of environments and where each value comes from.

    python -m <package>.settings [ENVIRONMENT ...]   # every setting: value, and file or default
    python -m <package>.settings --check             # validate every config file, quietly

Without an environment, every file of config/ is read. Exits with status 2, and the problems
of each file, when one is wrong.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..environment import CONFIG_DIR, environment_names, read_environment
from .loading import SettingsError, flatten


def _value(value: object) -> str:
    """A value as it would be written in the config file (JSON is valid YAML)."""
    return json.dumps(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}",
        description="Print each setting of an environment, and whether it comes from its "
        "config file or from the component's default.",
    )
    parser.add_argument("environments", nargs="*", help="default: every file of config/")
    parser.add_argument("--check", action="store_true", help="only validate, print no table")
    parser.add_argument("--config-dir", type=Path, default=CONFIG_DIR, help="default: config/")
    arguments = parser.parse_args(argv)
    environments = arguments.environments or environment_names(arguments.config_dir)
    failed = False
    for environment in environments:
        try:
            loaded = read_environment(environment, arguments.config_dir)
        except SettingsError as error:
            print(error, file=sys.stderr)
            failed = True
            continue
        settings = loaded.settings
        if arguments.check:
            print(f"{environment}: valid")
            continue
        print(f"{environment} (tier {settings.tier})")
        flat = flatten(settings.model_dump(mode="json"))
        rows = [(key, _value(flat[key]), source) for key, source in loaded.sources.items()]
        key_width = max(len(key) for key, _, _ in rows)
        value_width = max(len(value) for _, value, _ in rows)
        for key, value, source in rows:
            print(f"  {key:<{key_width}}  {value:<{value_width}}  {source}")
        for section in loaded.dormant:
            print(
                f"  {section}: dormant; this project does not have the {section} component "
                "now, so the section is kept as it is and not read"
            )
        print()
    return 2 if failed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:
        # Piped into `head` or a pager that quit: the reader has what it wanted.
        sys.stderr.close()
        sys.exit(0)
