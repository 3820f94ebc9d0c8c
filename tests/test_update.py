"""`copier update` carries a team's project forward, tested from one tagged version to the next.

The template's working tree is committed into a temporary git repository and tagged as its
version (version A, pyproject.toml's); a change of each kind a release makes is made on top and
tagged as the next minor release (version B):

- a new file (`docs/runbook.md` in the project) and a changed file the team does not touch
  (`.gitignore`);
- reworded comments: the header of every config file, and a comment in a component's settings;
- a removed setting, with its migration (hooks/remove_config_key.py) and a CHANGELOG line;
- a new setting with a default.

A project is generated at A, changed the way a team changes it (tuned values, an environment of
its own, an API route, its own stack and its own test), committed, updated to B, and then has
components switched off and on again. Every step must merge without a conflict, keep every
value the team tuned, and leave a project whose synth is cdk-nag clean and whose tests pass.
"""

from __future__ import annotations

import difflib
import re
import shutil
import subprocess
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import copier
import pytest
import yaml
from copier.errors import UserMessageError
from packaging.version import Version

from conftest import project_files
from matrix import TEMPLATE_ROOT, SynthReport, project_environment, synthesize
from render_shortcuts import template_snapshot

# The setting version B removes (its infrastructure then takes the old default, 7 days), and
# the one it adds.
REMOVED_KEY = "abort_incomplete_multipart_upload_days"
ADDED_KEY = "inventory_reports"
# The comment version B rewords at the top of every config file.
CONFIG_COMMENT = "# A key left out takes its component's default;"
CONFIG_COMMENT_B = "# A key not given here takes its component's default;"
GIT_IDENTITY = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
GIT_IDENTITY += ["-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false"]
# Not part of a project's content: git's own folder and what running it leaves behind.


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", *GIT_IDENTITY, *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, f"git {' '.join(args)}: {result.stderr}"
    return result.stdout


def current_version() -> tuple[int, int, int]:
    """The template's version (pyproject.toml; tagged vX.Y.Z on release, see docs/releasing.md)."""
    project = tomllib.loads((TEMPLATE_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    major, minor, patch = (int(part) for part in project["project"]["version"].split("."))
    return major, minor, patch


# ─── Template versions ───────────────────────────────────────────────────────────────────


def replace_everywhere(root: Path, old: str, new: str) -> int:
    """Replace a string in every text file under `root`; returns how many files changed."""
    changed = 0
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if old in text:
            path.write_text(text.replace(old, new), encoding="utf-8")
            changed += 1
    return changed


def make_version_b(template: Path, version: str) -> None:
    """Version B: a file added and one changed, comments reworded, a setting removed (with its
    migration and CHANGELOG line) and one added."""
    (template / "template" / "docs").mkdir(exist_ok=True)
    (template / "template" / "docs" / "runbook.md").write_text(
        "# Runbook\n\nWhat to do when a deployment or a pipeline run fails.\n", encoding="utf-8"
    )
    with (template / "template" / ".gitignore").open("a", encoding="utf-8") as gitignore:
        gitignore.write("\n# Local environment variables\n.env\n")
    # The comment's text, as written inside its trans block (without the rendered "# ").
    assert replace_everywhere(template / "includes", CONFIG_COMMENT[2:], CONFIG_COMMENT_B[2:]) == 1

    data_lake = (
        template / "template" / "{{package_name}}" / "{% if with_data_lake %}data_lake{% endif %}"
    )
    settings = data_lake / "settings.py"
    text = settings.read_text(encoding="utf-8")
    for old, new in [
        ("    # logs/ objects expire after", "    # Objects under logs/ expire after"),
        (
            f"    {REMOVED_KEY}: Days\n",
            f"    # Daily S3 Inventory reports of the data bucket.\n    {ADDED_KEY}: bool\n",
        ),
        (f'        "{REMOVED_KEY}": 7,\n', f'        "{ADDED_KEY}": False,\n'),
    ]:
        assert old in text, f"{settings}: {old!r} is gone: update make_version_b"
        text = text.replace(old, new)
    settings.write_text(text, encoding="utf-8")
    # What read the removed setting takes its old default.
    assert replace_everywhere(data_lake, f"self._settings.{REMOVED_KEY}", "7") == 1
    assert replace_everywhere(data_lake, f"settings.{REMOVED_KEY}", "7") == 1

    copier_yml = template / "copier.yml"
    text = copier_yml.read_text(encoding="utf-8")
    assert text.count("\n_migrations:\n") == 1, "copier.yml must hold one _migrations list"
    migration = (
        f"  - version: {version}\n"
        "    command:\n"
        '      - "{{ _copier_python }}"\n'
        '      - "{{ _copier_conf.src_path }}/hooks/remove_config_key.py"\n'
        f"      - data_lake.{REMOVED_KEY}\n"
        "      - --why\n"
        "      - abandoned uploads are now always aborted after 7 days\n"
    )
    copier_yml.write_text(
        text.replace("\n_migrations:\n", f"\n_migrations:\n{migration}"), encoding="utf-8"
    )
    changelog = template / "CHANGELOG.md"
    text = changelog.read_text(encoding="utf-8")
    changelog.write_text(
        text.replace(
            "## [Unreleased]\n",
            f"## [Unreleased]\n\n### Removed\n\n- `data_lake.{REMOVED_KEY}`: abandoned "
            "uploads are always aborted after 7 days (a migration removes the key).\n",
            1,
        ),
        encoding="utf-8",
    )


@dataclass(frozen=True)
class TemplateRepo:
    path: Path
    version_a: str
    version_b: str


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> TemplateRepo:
    """A git copy of the template's working tree tagged as version A, then as version B."""
    major, minor, patch = current_version()
    version_a, version_b = f"v{major}.{minor}.{patch}", f"v{major}.{minor + 1}.0"
    path = tmp_path_factory.mktemp("template-repo")
    template_snapshot(path)
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "-m", f"Release {version_a}")
    git(path, "tag", version_a)
    make_version_b(path, version_b)
    git(path, "add", "--all")
    git(path, "commit", "--quiet", "-m", f"Release {version_b}")
    git(path, "tag", version_b)
    return TemplateRepo(path, version_a, version_b)


@pytest.fixture(autouse=True)
def git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    """Copier commits in its scratch copies while it updates: git needs a user for that."""
    for variable, value in {
        "GIT_AUTHOR_NAME": "Test",
        "GIT_AUTHOR_EMAIL": "test@example.com",
        "GIT_COMMITTER_NAME": "Test",
        "GIT_COMMITTER_EMAIL": "test@example.com",
    }.items():
        monkeypatch.setenv(variable, value)


# ─── Projects ────────────────────────────────────────────────────────────────────────────


def generate(template: TemplateRepo, version: str, answers: dict[str, Any], dst: Path) -> Path:
    copier.run_copy(
        str(template.path),
        dst,
        data=answers,
        vcs_ref=version,
        defaults=True,
        unsafe=True,
        quiet=True,
    )
    return dst


def update(project: Path, version: str, answers: dict[str, Any] | None = None) -> None:
    """`copier update --defaults --trust [--data ...]` to `version` of the project's template."""
    copier.run_update(
        project,
        data=answers or {},
        vcs_ref=version,
        defaults=True,
        overwrite=True,
        unsafe=True,
        quiet=True,
    )


def recorded_answers(project: Path) -> dict[str, Any]:
    return yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))


def questions_answered(project: Path) -> dict[str, Any]:
    """The answers to render the same project again (copier's own keys left out)."""
    return {k: v for k, v in recorded_answers(project).items() if not k.startswith("_")}


def commit_all(project: Path, message: str) -> None:
    git(project, "add", "--all")
    git(project, "commit", "--quiet", "--no-verify", "-m", message)


def content(project: Path) -> dict[str, bytes]:
    """Every file of a project by its relative path, git's and tools' folders left out."""
    return {
        path.relative_to(project).as_posix(): path.read_bytes()
        for path in project_files(project)
        if path.is_file()
    }


def differences(actual: dict[str, bytes], expected: dict[str, bytes]) -> list[str]:
    """What differs between two projects, readable in a test failure."""
    found = [f"missing: {name}" for name in sorted(expected.keys() - actual.keys())]
    found += [f"unexpected: {name}" for name in sorted(actual.keys() - expected.keys())]
    for name in sorted(actual.keys() & expected.keys()):
        if actual[name] != expected[name]:
            diff = difflib.unified_diff(
                expected[name].decode(errors="replace").splitlines(),
                actual[name].decode(errors="replace").splitlines(),
                f"expected/{name}",
                f"actual/{name}",
                lineterm="",
            )
            found.append("\n".join(list(diff)[:40]))
    return found


# ─── What a team changes ─────────────────────────────────────────────────────────────────

# What the team tunes in every environment, appended to its config file as the file says.
TEAM_VALUES = """
data_lake:
  logs_expiration_days: 60
  {removed}
pipeline:
  schedule: rate(1 day)
  wait_seconds: 120
frontend:
  volume_size_gib: 20
"""

# The team's own stack, wired where the template never writes, and its own test.
OWN_STACK = """
    stack = cdk.Stack(stage, "TeamDashboard")
    cloudwatch.Dashboard(stack, "Dashboard", dashboard_name=f"{stage.stage_name}-team")
"""
OWN_STACK_IMPORTS = """\
import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch

"""
TEAM_TEST = """\
\"\"\"The team's own checks: its tuned values and its dashboard, in every environment.\"\"\"

import aws_cdk as cdk

from {package}.constants import stage_name
from {package}.environment import environment_names, load_settings


def test_tuned_values_hold() -> None:
    for environment in environment_names():
        settings = load_settings(environment)
        assert settings.data_lake.logs_expiration_days == 60
        if hasattr(settings, "pipeline"):
            assert settings.pipeline.schedule == "rate(1 day)"
            assert settings.pipeline.wait_seconds == 120
        if hasattr(settings, "frontend"):
            assert settings.frontend.volume_size_gib == 20


def test_every_environment_has_the_team_dashboard(app: cdk.App) -> None:
    for environment in environment_names():
        stage = app.node.find_child(stage_name(environment))
        assert isinstance(stage.node.try_find_child("TeamDashboard"), cdk.Stack)
"""


def edit(path: Path, pattern: str, replacement: str) -> None:
    """Change one spot of a file as a person would; fails loudly if the spot is not there."""
    text = path.read_text(encoding="utf-8")
    changed, found = re.subn(pattern, replacement, text, flags=re.M)
    assert found == 1, f"{path}: expected one match of {pattern!r}, found {found}"
    path.write_text(changed, encoding="utf-8")


@dataclass(frozen=True)
class Team:
    """The changes a team makes to its project. ``sets_removed_key``: the team also tuned
    the setting that version B removes (a project at version B has no such key)."""

    sets_removed_key: bool = True

    def change(self, project: Path) -> None:
        answers = recorded_answers(project)
        self.change_config(project, answers["environments"])
        self.change_code(project, project / answers["package_name"])

    def change_config(self, project: Path, environments: list[str]) -> None:
        """Tuned values in every environment, below the template's comments; and a new
        environment copied from the first, as the config file's comments suggest."""
        removed = f"{REMOVED_KEY}: 3" if self.sets_removed_key else ""
        values = TEAM_VALUES.format(removed=removed).replace("\n  \n", "\n")
        for environment in environments:
            config = project / "config" / f"{environment}.yaml"
            config.write_text(config.read_text(encoding="utf-8") + values, encoding="utf-8")
        shutil.copy(project / "config" / f"{environments[0]}.yaml", project / "config/qa.yaml")

    def change_code(self, project: Path, package: Path) -> None:
        """A new API route, its own stack in own_stacks.py, its own test, a notebook."""
        edit(
            package / "api" / "runtime" / "api_service" / "main.py",
            r"^    return app$",
            '    @app.get("/team", tags=["team"])\n'
            "    def team() -> dict[str, str]:\n"
            '        """Who runs this service."""\n'
            '        return {"team": "datathon-42"}\n\n'
            "    return app",
        )
        own_stacks = package / "own_stacks.py"
        edit(own_stacks, r"^(from typing import TYPE_CHECKING\n\n)", rf"\1{OWN_STACK_IMPORTS}")
        own_stacks.write_text(own_stacks.read_text(encoding="utf-8") + OWN_STACK, encoding="utf-8")
        (project / "tests" / "test_team.py").write_text(
            TEAM_TEST.format(package=package.name), encoding="utf-8"
        )
        (project / "notebooks").mkdir()
        (project / "notebooks" / "README.md").write_text("# Exploration\n", encoding="utf-8")


# ─── Checks ──────────────────────────────────────────────────────────────────────────────


def assert_merged_without_conflicts(project: Path) -> None:
    status = git(project, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert [line for line in status if "U" in line[:2] or line[:2] in {"AA", "DD"}] == []
    assert [line for line in status if line.endswith(".rej")] == []
    markers = re.compile(rb"^(<<<<<<<|>>>>>>>) ", re.M)
    assert [name for name, data in content(project).items() if markers.search(data)] == []


def assert_team_values_kept(project: Path) -> None:
    """Every environment's file still holds what the team set, dormant sections included."""
    for config in sorted((project / "config").glob("*.yaml")):
        values = yaml.safe_load(config.read_text(encoding="utf-8"))
        assert values["data_lake"]["logs_expiration_days"] == 60, config.name
        assert values["pipeline"] == {"schedule": "rate(1 day)", "wait_seconds": 120}, config.name
        assert values["frontend"] == {"volume_size_gib": 20}, config.name


def synthesize_clean(project: Path, outdir: Path) -> SynthReport:
    report = synthesize(
        project, recorded_answers(project)["package_name"], outdir, builtin_validation=False
    )
    assert report.error is None, report.error
    assert report.nag_findings == []
    return report


# ─── Tests ───────────────────────────────────────────────────────────────────────────────

# The scenario's project: the defaults (every component, dev and prod), and an environment
# of the team's. Its own suite passing after the update is also what says that the defaults
# project installs with uv and passes its own tests and lint.
ANSWERS: dict[str, Any] = {}


def team_project_updated(
    template: TemplateRepo, root: Path, answers: dict[str, Any] | None = None
) -> Path:
    """A project generated at version A, changed by its team, committed, updated to B (with
    ``answers`` changed on the way)."""
    project = generate(template, template.version_a, ANSWERS, root / "project")
    Team().change(project)
    commit_all(project, "Team work")
    update(project, template.version_b, answers)
    return project


def test_update_keeps_the_team_work_and_brings_the_new_version(
    template_repo: TemplateRepo, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    project = team_project_updated(template_repo, tmp_path)

    output = capfd.readouterr().out
    expected = generate(
        template_repo, template_repo.version_b, questions_answered(project), tmp_path / "fresh"
    )
    Team(sets_removed_key=False).change(expected)
    # The team's own environment keeps version A's comments: the template never writes it.
    qa = (project / "config" / "qa.yaml").read_text(encoding="utf-8")
    assert CONFIG_COMMENT in qa and REMOVED_KEY not in qa
    (expected / "config" / "qa.yaml").write_text(qa, encoding="utf-8")
    # The team's work is kept, version B's changes arrived, nothing else differs.
    assert differences(content(project), content(expected)) == []
    assert_merged_without_conflicts(project)
    assert_team_values_kept(project)
    assert recorded_answers(project)["_commit"] == template_repo.version_b
    # The migration said what it removed, from every environment, the team's own included.
    for environment in ("dev", "prod", "qa"):
        assert (
            f"remove data_lake.{REMOVED_KEY}: config/{environment}.yaml: removed (it was 3)"
            in output
        )
    assert "copier update: no conflicts" in output

    report = synthesize_clean(project, tmp_path / "cdk.out")
    slug = recorded_answers(project)["project_slug"]
    for environment in ("dev", "prod", "qa"):
        settings = report.settings[environment]
        assert settings["data_lake"]["logs_expiration_days"] == 60
        assert settings["data_lake"][ADDED_KEY] is False
        assert REMOVED_KEY not in settings["data_lake"]
        assert f"{slug}-{environment}/TeamDashboard" in report.stacks


def test_switching_the_language_on_update_translates_what_the_team_did_not_edit(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    project = generate(template_repo, template_repo.version_a, ANSWERS, tmp_path / "project")
    Team().change(project)
    commit_all(project, "Team work")

    update(project, template_repo.version_b, {"language": "pt-BR"})

    expected = generate(
        template_repo, template_repo.version_b, questions_answered(project), tmp_path / "fresh"
    )
    Team(sets_removed_key=False).change(expected)
    # The team's own environment, copied from dev in English, is the team's: kept as it was.
    qa = (project / "config" / "qa.yaml").read_text(encoding="utf-8")
    assert CONFIG_COMMENT in qa
    (expected / "config" / "qa.yaml").write_text(qa, encoding="utf-8")
    # The project reads as a fresh pt-BR one with the team's work in it: no conflict, no
    # English left in what the team did not touch.
    assert recorded_answers(project)["language"] == "pt-BR"
    assert differences(content(project), content(expected)) == []
    assert_merged_without_conflicts(project)
    assert_team_values_kept(project)
    assert "# O ambiente dev: o que ele muda" in (project / "config" / "dev.yaml").read_text()


def test_recopy_keeps_the_team_stacks(template_repo: TemplateRepo, tmp_path: Path) -> None:
    project = generate(template_repo, template_repo.version_a, ANSWERS, tmp_path / "project")
    Team().change(project)
    commit_all(project, "Team work")
    own_stacks = (project / recorded_answers(project)["package_name"] / "own_stacks.py").read_text()

    copier.run_recopy(project, defaults=True, overwrite=True, unsafe=True, quiet=True)

    package = project / recorded_answers(project)["package_name"]
    assert (package / "own_stacks.py").read_text() == own_stacks
    assert (project / "tests" / "test_team.py").exists()
    # Recopy resets what the template wrote: the team's values in config files among it.
    assert "logs_expiration_days: 60" not in (project / "config" / "dev.yaml").read_text()


@pytest.mark.slow
def test_a_team_project_through_an_update_and_toggles(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    """Old version -> team edits -> new version -> pipeline off, on -> front end off, on:
    no conflict and every tuned value and the own stack kept at every step. The project's
    tests (synth with cdk-nag, the team's own test included) pass after the update, and again
    with each component off, where the code that runs in the containers (runtime/ folders) is
    byte for byte what passed after the update and its tests are not run twice. Switched on
    again, the whole project is byte for byte what passed after the update. The update also
    switches the project to pt-BR, so that a Portuguese project's own suite runs too (its
    settings messages are translated Python)."""
    uv = shutil.which("uv")
    assert uv, "uv is needed to install the updated project: run the tests through nox"
    project = team_project_updated(template_repo, tmp_path, {"language": "pt-BR"})
    package = project / recorded_answers(project)["package_name"]

    def run(*command: str, **environment: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command,
            cwd=project,
            env={**project_environment(), **environment},
            capture_output=True,
            text=True,
            timeout=900,
        )

    def check(step: str, *pytest_options: str) -> None:
        assert_merged_without_conflicts(project)
        assert_team_values_kept(project)
        # A toggle changes the roles: the team refreshes their snapshot and commits it with the
        # step, as README.md says (tests/test_role_statements.py).
        tests = run(
            uv,
            "run",
            "--no-sync",
            "pytest",
            "-q",
            "-x",
            "-p",
            "no:cacheprovider",
            *pytest_options,
            UPDATE_SNAPSHOTS="1",
        )
        assert tests.returncode == 0, f"{step}: " + tests.stdout[-5000:] + tests.stderr[-2000:]
        assert " passed" in tests.stdout and " failed" not in tests.stdout
        commit_all(project, step)

    sync = run(uv, "sync", "--python", recorded_answers(project)["python_version"])
    assert sync.returncode == 0, sync.stderr
    check("Update to version B")
    # The team's code is clean where it meets the template's (version B's own edits are
    # made by replace in make_version_b, not formatted).
    team_files = ["tests/test_team.py", f"{package.name}/own_stacks.py"]
    for lint in (("check", "."), ("format", "--check", *team_files)):
        result = run(uv, "run", "--no-sync", "ruff", *lint)
        assert result.returncode == 0, result.stdout
    updated = content(project)

    version = template_repo.version_b
    runtime = {name: data for name, data in updated.items() if "/runtime/" in name}
    for toggle, folder in (("with_pipeline", "pipeline"), ("with_frontend", "frontend")):
        update(project, version, {toggle: False})
        assert not (package / folder).exists()
        left = {name: data for name, data in content(project).items() if "/runtime/" in name}
        assert left == {
            n: d for n, d in runtime.items() if not n.startswith(f"{package.name}/{folder}/")
        }
        check(f"{toggle} off", "--ignore-glob=*/runtime/*")
        update(project, version, {toggle: True})
        assert_merged_without_conflicts(project)
        # The roles' snapshot is the team's, refreshed by their next test run (not run here):
        # it still shows the roles without the component.
        snapshot = "tests/snapshots/role_statements.json"
        assert (
            differences(
                {n: d for n, d in content(project).items() if n != snapshot},
                {n: d for n, d in updated.items() if n != snapshot},
            )
            == []
        )
        commit_all(project, f"{toggle} on")


def test_update_refuses_a_project_with_uncommitted_changes(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    answers = {"environments": ["dev"], "with_api": False, "with_pipeline": False}
    answers["with_frontend"] = False
    project = generate(template_repo, template_repo.version_a, answers, tmp_path / "project")
    config = project / "config" / "dev.yaml"
    edited = config.read_text(encoding="utf-8") + "data_lake:\n  logs_expiration_days: 60\n"
    config.write_text(edited, encoding="utf-8")

    with pytest.raises(UserMessageError, match="Destination repository is dirty; cannot continue"):
        update(project, template_repo.version_b)

    assert config.read_text(encoding="utf-8") == edited
    assert recorded_answers(project)["_commit"] == template_repo.version_a


def test_projects_get_a_scheduled_update_workflow(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    versions = yaml.safe_load((TEMPLATE_ROOT / "includes" / "versions.yml").read_text())
    versions = versions["versions"]["default"]
    answers = {"environments": ["dev"], "with_api": False, "with_pipeline": False}
    answers["with_frontend"] = False
    project = generate(template_repo, template_repo.version_a, answers, tmp_path / "project")
    text = (project / ".github" / "workflows" / "template-update.yml").read_text(encoding="utf-8")
    workflow = yaml.safe_load(text)

    # `on:` is YAML 1.1's true.
    assert set(workflow[True]) == {"schedule", "workflow_dispatch"}
    assert workflow["permissions"] == {}
    (job,) = workflow["jobs"].values()
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    for step in job["steps"]:
        if "uses" in step:
            assert re.fullmatch(r"[\w-]+/[\w-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
    update_step = next(step for step in job["steps"] if "copier update" in step.get("run", ""))
    assert update_step["env"]["COPIER_VERSION"] == versions["copier"]
    assert "copier update --defaults --trust" in update_step["run"]
    extensions = update_step["env"]["COPIER_TEMPLATE_EXTENSIONS_VERSION"]
    assert extensions == versions["copier_template_extensions"]
    assert 'pipx inject copier "copier-template-extensions==' in update_step["run"]
    # GitHub's expressions reach the project as they are, not rendered by copier.
    assert "${{ secrets.TEMPLATE_UPDATE_TOKEN || github.token }}" in text


def test_projects_update_with_the_copier_the_template_is_tested_with() -> None:
    versions = yaml.safe_load((TEMPLATE_ROOT / "includes" / "versions.yml").read_text())
    pinned = versions["versions"]["default"]["copier"]
    project = tomllib.loads((TEMPLATE_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"copier=={pinned}" in project["dependency-groups"]["test"]
    extensions = versions["versions"]["default"]["copier_template_extensions"]
    assert f"copier-template-extensions=={extensions}" in project["dependency-groups"]["test"]
    assert copier.__version__ == pinned
    minimum = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text().split("\n---")[0])
    assert Version(minimum["_min_copier_version"]) <= Version(pinned)
