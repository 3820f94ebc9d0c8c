"""Development sessions of the template: `nox -l` lists them, `nox` runs lint, tests and docs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

import nox
import yaml

ROOT = Path(__file__).resolve().parent
nox.options.default_venv_backend = "uv"
nox.options.sessions = ["lint", "tests", "docs"]
nox.options.reuse_venv = "yes"

# jsii warns on every start under Node 20; the warning is noise, not news.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
# Let Python cache bytecode, as it does by default. Some machines (this project's CI among
# them) set PYTHONDONTWRITEBYTECODE, and uv installs without .pyc files: every process then
# compiles aws_cdk's Python sources again, about 3 of the 7 seconds of a synth
# (docs/performance.md).
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


def test_requirements() -> list[str]:
    """The template's test tools, plus the CDK pins of the rendered project (one source)."""
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]
    versions = yaml.safe_load((ROOT / "includes" / "versions.yml").read_text())["versions"][
        "default"
    ]
    cdk = [
        f"aws-cdk-lib=={versions['aws_cdk_lib']}",
        f"constructs=={versions['constructs']}",
        f"cdk-nag=={versions['cdk_nag']}",
        f"pydantic=={versions['pydantic']}",
    ]
    return [*groups["test"], *cdk]


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff over the template's own code (rendered projects are linted by the tests)."""
    session.install(next(r for r in test_requirements() if r.startswith("ruff==")))
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def tests(session: nox.Session) -> None:
    """The template's test suite: questions, render, synth of every variant, generated suite."""
    session.install(*test_requirements(), *dependency_group("smoke"))
    ensure_chromium(session)
    env = {"SECURITY_TOOLS_BIN": security_tools(session)}
    if session.posargs or os.environ.get("VARIANT_SHARD"):
        session.run("pytest", *session.posargs, env=env)
        return
    # The whole suite (.ci/run): the slow tests spend most of their time waiting on the
    # processes they start (uv, npm, a browser, a project's own pytest) and the rest mostly in
    # the matrix's workers, so each runs as a pytest of its own, side by side, with its own
    # temporary folder: both cores stay busy and the suite takes minutes less.
    slow_log = ROOT / ".nox" / "slow-tests.log"
    # Outside this repository: a project rendered inside it would take it for its own.
    temporary = Path(tempfile.mkdtemp(prefix="copier-aws-datathon-tests-"))
    environment = {
        **os.environ,
        **{name: value for name, value in session.env.items() if value is not None},
        **env,
        "PATH": os.pathsep.join([*session.bin_paths, os.environ.get("PATH", "")]),
        "VIRTUAL_ENV": str(session.virtualenv.location),
    }
    session.log(f"the slow tests run beside the others; their report follows, log: {slow_log}")
    with slow_log.open("w", encoding="utf-8") as log:
        slow = subprocess.Popen(
            [
                str(Path(session.bin) / "pytest"),
                "-m",
                "slow",
                "--basetemp",
                str(temporary / "slow"),
            ],
            cwd=ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            session.run(
                "pytest", "-m", "not slow", "--basetemp", str(temporary / "others"), env=env
            )
        finally:
            code = slow.wait()
    print(slow_log.read_text(encoding="utf-8"), flush=True)
    if code != 0:
        session.error(f"the slow tests failed (exit {code}): see their report above")


@nox.session
def smoke(session: nox.Session) -> None:
    """Deploy the smoke variant to moto's CloudFormation and run its pipeline in moto's Step
    Functions, offline (tests/test_smoke_deploy.py; docs/security.md says what it covers)."""
    session.install(*test_requirements(), *dependency_group("smoke"))
    session.run("pytest", "-m", "slow", "tests/test_smoke_deploy.py", *session.posargs)


@nox.session
def docs_security(session: nox.Session) -> None:
    """Regenerate the list of exceptions in docs/security.md from the synthesized variants."""
    session.install(*test_requirements())
    session.run("python", "scripts/security_reference.py")


def dependency_group(name: str) -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"][name]


def security_tools(session: nox.Session) -> str:
    """cfn-lint and checkov (the `security` group) in an environment of their own, for
    tests/test_security.py: checkov pins packaging<24, which pytest cannot use. Returns the
    environment's bin directory."""
    environment = ROOT / ".nox" / "security-tools"
    python = environment / "bin" / "python"
    if not python.exists():
        session.run("uv", "venv", "--quiet", str(environment), external=True)
    session.run(
        "uv", "pip", "install", "--quiet", "--python", str(python), *dependency_group("security"),
        external=True,
    )  # fmt: skip
    return str(environment / "bin")


def ensure_chromium(session: nox.Session) -> None:
    """The front end's browser test drives the system's Chromium; no browser is downloaded.

    Where it is missing and this is a Debian-like machine we administer (CI, a fresh dev box
    as root), install Debian's package; elsewhere the test says how to get one.
    """
    if os.environ.get("CHROMIUM_PATH") or shutil.which("chromium"):
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        session.log("installing Debian's chromium for the browser test")
        env = {"DEBIAN_FRONTEND": "noninteractive"}
        session.run("apt-get", "update", "-qq", external=True, env=env)
        session.run(
            "apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium",
            "fonts-liberation", external=True, env=env,
        )  # fmt: skip


@nox.session
def update(session: nox.Session) -> None:
    """`copier update` from this version to the next, and the migration scripts."""
    session.install(*test_requirements())
    session.run("pytest", "tests/test_update.py", "tests/test_migration_hooks.py", *session.posargs)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation site into site/, strictly: a broken link or page fails it."""
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]
    session.install(*groups["docs"])
    session.run("python", "scripts/questions_reference.py", "--check")
    session.run(
        "mkdocs",
        "build",
        "--strict",
        "--site-dir",
        str(ROOT / "site"),
        # mkdocs-material's end-of-life notice (its successor reads the same mkdocs.yml).
        env={"NO_MKDOCS_2_WARNING": "1"},
    )


@nox.session(venv_backend="none")
def release_check(session: nox.Session) -> None:
    """Check that a tag is ready to release: `nox -s release_check -- vX.Y.Z [--notes FILE]`
    (docs/releasing.md; the release workflow runs it)."""
    session.run(sys.executable, "scripts/release_check.py", *session.posargs, external=True)


@nox.session(venv_backend="none")
def pins(session: nox.Session) -> None:
    """Report pins behind a newer release for longer than an age (asks PyPI, npm, GitHub):
    `nox -s pins -- --max-age-days 60`."""
    session.run(sys.executable, "scripts/pin_report.py", *session.posargs, external=True)


@nox.session(venv_backend="none")
def docs_questions(session: nox.Session) -> None:
    """Regenerate docs/questions.md from copier.yml."""
    session.install(*dependency_group("docs"))
    session.run("python", "scripts/questions_reference.py")


@nox.session
def i18n(session: nox.Session) -> None:
    """The texts to translate: `update` (the default) adds new texts to locale/ and drops gone
    ones; `-- check` lists what is untranslated (docs/i18n.md)."""
    session.install(*test_requirements())
    session.run("python", "scripts/i18n.py", *(session.posargs or ["update"]))


@nox.session
def demo(session: nox.Session) -> None:
    """Render the defaults into ./demo-project, install it, and synthesize it with the CDK CLI."""
    session.install(*test_requirements())
    target = ROOT / "demo-project"
    if target.exists():
        shutil.rmtree(target)
    session.run("copier", "copy", "--trust", "--defaults", "--quiet", str(ROOT), str(target))
    answers = yaml.safe_load((target / ".copier-answers.yml").read_text())
    with session.chdir(target):
        # The project's own .venv, not this session's environment that nox points uv at.
        project_env = {
            "UV_PROJECT_ENVIRONMENT": str(target / ".venv"),
            "UV_PYTHON": None,
            "VIRTUAL_ENV": None,
        }
        session.run(
            "uv", "sync", "--python", answers["python_version"], external=True, env=project_env
        )
        session.run("npm", "install", "--no-audit", "--no-fund", external=True)
        session.run(
            "uv", "run", "--no-sync", "npx", "cdk", "synth", "--quiet",
            external=True, env=project_env,
        )  # fmt: skip
    outdir = target / "cdk.out"
    stacks = sorted(
        artifact["displayName"]
        for manifest in outdir.glob("assembly-*/manifest.json")
        for artifact in json.loads(manifest.read_text())["artifacts"].values()
        if artifact["type"] == "aws:cloudformation:stack"
    )
    session.log(f"Synthesized {len(stacks)} stacks into {outdir}, checked by cdk-nag:")
    for stack in stacks:
        session.log(f"  {stack}")


@nox.session
def bench(session: nox.Session) -> None:
    """Time copy, synth, the variant matrix, update and the generated tests; write JSON."""
    session.install(*test_requirements(), "psutil==7.2.2")
    session.run("python", "scripts/bench.py", *session.posargs)
