"""mkdocs hook: put the template's version in the site's footer.

    hooks: [scripts/site_version.py]        (mkdocs.yml)

The version is git's description of the commit the site is built from: `v0.2.0` on a release
tag, `v0.2.0-3-g1a2b3c4` three commits after it; before the first tag, pyproject.toml's
version marked unreleased. A reader of the published site (built from main) sees which
release its pages describe, and how far main has moved since.
"""

from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RELEASE_TAGS = "v[0-9]*.[0-9]*.[0-9]*"


def _git(root: Path, *args: str) -> str | None:
    try:
        result = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=False
        )
    except OSError:  # no git at all
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def site_version(root: Path = ROOT) -> str:
    described = _git(root, "describe", "--tags", "--match", RELEASE_TAGS)
    if described:
        return described
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    commit = _git(root, "rev-parse", "--short", "HEAD")
    return f"v{project['version']} (unreleased{f', {commit}' if commit else ''})"


def on_config(config: Any, **_: Any) -> Any:
    config["copyright"] = f"{config['site_name']} {site_version()}"
    return config
