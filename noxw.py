#!/usr/bin/env python3
"""nox wrapper: runs `nox` with pinned nox and uv, installing them on first use.

    python3 noxw.py -s demo     render the defaults and synthesize them
    python3 noxw.py             lint and the whole test suite

Needs only Python 3.11+ (plus Node.js and git for the sessions themselves). The tools live
in .nox-tools/, next to the sessions' environments in .nox/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
TOOLS = ROOT / ".nox-tools"
REQUIREMENTS = ["nox==2026.10.20", "uv==0.13.9", "pyyaml==6.0.4"]
BIN = TOOLS / ("Scripts" if os.name == "nt" else "bin")
STAMP = TOOLS / "requirements.txt"


def ensure_tools() -> None:
    wanted = "\n".join(REQUIREMENTS) + "\n"
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print(f"noxw: installing {', '.join(REQUIREMENTS)} into {TOOLS.name}/", flush=True)
    venv.EnvBuilder(with_pip=True, clear=True).create(TOOLS)
    subprocess.run(
        [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         *REQUIREMENTS],
        check=True,
    )  # fmt: skip
    STAMP.write_text(wanted)


def expose_pyenv_versions(environment: dict[str, str]) -> None:
    """pyenv's shims answer only for the selected versions (a shim even pins the one it ran);
    the rendered project may want another installed one (python_version), so keep the
    selection first and let uv find every other installed version after it."""
    if not shutil.which("pyenv"):
        return
    selected = environment.get("PYENV_VERSION", "").split(":")
    if not selected[0]:
        current = subprocess.run(["pyenv", "version-name"], capture_output=True, text=True)
        selected = [current.stdout.strip()]
    listed = subprocess.run(["pyenv", "versions", "--bare"], capture_output=True, text=True)
    versions = [*selected, *listed.stdout.split()]
    environment["PYENV_VERSION"] = ":".join(dict.fromkeys(v for v in versions if v))


def main() -> int:
    ensure_tools()
    environment = dict(os.environ)
    environment["PATH"] = f"{BIN}{os.pathsep}{environment['PATH']}"
    expose_pyenv_versions(environment)
    return subprocess.call([str(BIN / "nox"), *sys.argv[1:]], env=environment, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
