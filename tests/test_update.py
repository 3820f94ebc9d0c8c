"""`copier update` carries a team's project forward, tested from one tagged version to the next.

The template's working tree is committed into a temporary git repository and tagged as its
version (version A, pyproject.toml's); a change of each kind is made on top and tagged as the
next minor release (version B):

- a new file (`docs/runbook.md` in the project),
- a changed file the team does not touch (`.gitignore`),
- a renamed config key, carried by a migration (hooks/rename_config_key.py).

A project is generated at A, changed the way a team changes it, committed, and updated to B.
It must then be exactly a fresh B project with the team's changes on top, and synthesize with
cdk-nag clean. The same comparison checks that switching a component off and on again on
update adds and removes its folder, its settings and its wiring.
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

OLD_KEY = "raw_transition_to_infrequent_access_days"
# Same length as the old name, so that version B's code formats exactly like version A's.
NEW_KEY = "raw_move_to_infrequent_access_after_days"
TEAM_TRANSITION_DAYS = 120
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
    """Version B: a new file, a changed file the team does not touch, a renamed config key."""
    (template / "template" / "docs").mkdir(exist_ok=True)
    (template / "template" / "docs" / "runbook.md").write_text(
        "# Runbook\n\nWhat to do when a deployment or a pipeline run fails.\n", encoding="utf-8"
    )
    with (template / "template" / ".gitignore").open("a", encoding="utf-8") as gitignore:
        gitignore.write("\n# Local environment variables\n.env\n")

    renamed = replace_everywhere(template / "template", OLD_KEY, NEW_KEY)
    renamed += replace_everywhere(template / "includes", OLD_KEY, NEW_KEY)
    assert renamed >= 3, "the config key of the migration example is gone from the template"
    copier_yml = template / "copier.yml"
    text = copier_yml.read_text(encoding="utf-8")
    assert text.count("\n_migrations:\n") == 1, "copier.yml must hold one _migrations list"
    migration = (
        f"  - version: {version}\n"
        "    command:\n"
        '      - "{{ _copier_python }}"\n'
        '      - "{{ _copier_conf.src_path }}/hooks/rename_config_key.py"\n'
        f"      - data_lake.{OLD_KEY}\n"
        f"      - data_lake.{NEW_KEY}\n"
    )
    copier_yml.write_text(
        text.replace("\n_migrations:\n", f"\n_migrations:\n{migration}"), encoding="utf-8"
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


def edit(path: Path, pattern: str, replacement: str) -> None:
    """Change one spot of a file as a person would; fails loudly if the spot is not there."""
    text = path.read_text(encoding="utf-8")
    changed, found = re.subn(pattern, replacement, text, flags=re.M)
    assert found == 1, f"{path}: expected one match of {pattern!r}, found {found}"
    path.write_text(changed, encoding="utf-8")


@dataclass(frozen=True)
class Team:
    """The changes a team makes to its project; `transition_key` is the name of the config key
    that version B renames, as the project being changed spells it."""

    transition_key: str
    adds_an_environment: bool = True

    def change(self, project: Path) -> None:
        answers = recorded_answers(project)
        self.change_config(project, answers["environments"])
        self.change_code(project, project / answers["package_name"])

    def change_config(self, project: Path, environments: list[str]) -> None:
        """Values in every environment, one under the key that version B renames; and a new
        environment copied from the first, as the project's README suggests."""
        for environment in environments:
            config = project / "config" / f"{environment}.yaml"
            edit(config, rf"^(  {self.transition_key}:) \d+$", rf"\1 {TEAM_TRANSITION_DAYS}")
            edit(config, r"^(  logs_expiration_days:) \d+$", r"\1 60")
        if self.adds_an_environment:
            shutil.copy(project / "config" / f"{environments[0]}.yaml", project / "config/qa.yaml")

    def change_code(self, project: Path, package: Path) -> None:
        """A new endpoint in the API (else a new module), a new file, a change inside a stack."""
        api_main = package / "api" / "runtime" / "api_service" / "main.py"
        if api_main.exists():
            edit(
                api_main,
                r"^    return app$",
                '    @app.get("/team", tags=["team"])\n'
                "    def team() -> dict[str, str]:\n"
                '        """Who runs this service."""\n'
                '        return {"team": "datathon-42"}\n\n'
                "    return app",
            )
        else:
            (package / "cost_allocation.py").write_text(
                '"""The cost-allocation tag of the platform\'s resources."""\n\n'
                'COST_CENTER = "datathon-42"\n',
                encoding="utf-8",
            )
        (project / "notebooks").mkdir()
        (project / "notebooks" / "README.md").write_text("# Exploration\n", encoding="utf-8")
        edit(
            package / "data_lake" / "infrastructure.py",
            r"^(        super\(\).__init__\(scope, construct_id, \*\*kwargs\))$",
            r'\1\n        cdk.Tags.of(self).add("cost-center", "datathon-42")',
        )


# ─── Checks ──────────────────────────────────────────────────────────────────────────────


def assert_merged_without_conflicts(project: Path) -> None:
    status = git(project, "status", "--porcelain", "--untracked-files=all").splitlines()
    assert [line for line in status if "U" in line[:2] or line[:2] in {"AA", "DD"}] == []
    assert [line for line in status if line.endswith(".rej")] == []
    markers = re.compile(rb"^(<<<<<<<|>>>>>>>) ", re.M)
    assert [name for name, data in content(project).items() if markers.search(data)] == []


def synthesize_clean(project: Path, outdir: Path) -> SynthReport:
    report = synthesize(
        project, recorded_answers(project)["package_name"], outdir, builtin_validation=False
    )
    assert report.error is None, report.error
    assert report.nag_findings == []
    return report


def raw_data_transitions(report: SynthReport, stage: str) -> list[int]:
    """After how many days the data lake moves raw/ objects to Infrequent Access."""
    buckets = report.stack(stage, "DataLake").resources("AWS::S3::Bucket").values()
    return [
        transition["TransitionInDays"]
        for bucket in buckets
        for rule in bucket["Properties"].get("LifecycleConfiguration", {}).get("Rules", [])
        if rule.get("Id") == "raw-to-infrequent-access"
        for transition in rule["Transitions"]
    ]


# ─── Tests ───────────────────────────────────────────────────────────────────────────────


def team_project_updated(template: TemplateRepo, root: Path) -> Path:
    """A project with every component a team gets by default, generated at version A, changed
    by its team, committed, and updated to version B."""
    project = generate(template, template.version_a, {}, root / "project")
    Team(transition_key=OLD_KEY).change(project)
    commit_all(project, "Team work")
    update(project, template.version_b)
    return project


def test_update_keeps_the_team_work_and_brings_the_new_version(
    template_repo: TemplateRepo, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    project = team_project_updated(template_repo, tmp_path)

    output = capfd.readouterr().out
    expected = generate(
        template_repo, template_repo.version_b, questions_answered(project), tmp_path / "fresh"
    )
    Team(transition_key=NEW_KEY).change(expected)
    # The team's work is kept, version B's changes arrived, nothing else differs.
    assert differences(content(project), content(expected)) == []
    assert_merged_without_conflicts(project)
    assert recorded_answers(project)["_commit"] == template_repo.version_b
    # The migration said what it did, to every environment, the team's own included.
    environments = [*recorded_answers(project)["environments"], "qa"]
    for environment in environments:
        assert f"data_lake.{NEW_KEY}: config/{environment}.yaml: renamed" in output
    assert "copier update: no conflicts" in output

    report = synthesize_clean(project, tmp_path / "cdk.out")
    slug = recorded_answers(project)["project_slug"]
    for environment in environments:
        # The team's value reached the infrastructure under the renamed key.
        assert raw_data_transitions(report, f"{slug}-{environment}") == [TEAM_TRANSITION_DAYS]


@pytest.mark.slow
def test_updated_project_passes_its_own_tests_and_lint(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    uv = shutil.which("uv")
    assert uv, "uv is needed to install the updated project: run the tests through nox"
    project = team_project_updated(template_repo, tmp_path)

    def run(*command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            command,
            cwd=project,
            env=project_environment(),
            capture_output=True,
            text=True,
            timeout=900,
        )

    sync = run(uv, "sync", "--python", recorded_answers(project)["python_version"])
    assert sync.returncode == 0, sync.stderr
    tests = run(uv, "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider")
    assert tests.returncode == 0, tests.stdout[-5000:] + tests.stderr[-2000:]
    for lint in (("check", "."), ("format", "--check", ".")):
        result = run(uv, "run", "--no-sync", "ruff", *lint)
        assert result.returncode == 0, result.stdout


def test_switching_a_component_off_and_on_again(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    # The data lake, and the pipeline with the network it runs in.
    answers = {"environments": ["dev"], "with_api": False, "with_frontend": False}
    version = template_repo.version_b
    project = generate(template_repo, version, answers, tmp_path / "project")
    # Settings of an environment added by hand are the team's to change when a component goes.
    team = Team(NEW_KEY, adds_an_environment=False)
    team.change(project)
    commit_all(project, "Team work")
    before = content(project)
    stacks_before = set(synthesize_clean(project, tmp_path / "cdk.out-before").stacks)

    update(project, version, {"with_pipeline": False})

    expected = generate(
        template_repo, version, {**answers, "with_pipeline": False}, tmp_path / "fresh-off"
    )
    team.change(expected)
    assert differences(content(project), content(expected)) == []
    assert_merged_without_conflicts(project)
    # Gone, the bytecode that the synth above left in them included (remove_leftover_folders).
    package = project / recorded_answers(project)["package_name"]
    assert not (package / "pipeline").exists() and not (package / "network").exists()
    stacks_off = set(synthesize_clean(project, tmp_path / "cdk.out-off").stacks)
    assert stacks_off < stacks_before
    assert {stack.rsplit("/", 1)[1] for stack in stacks_before - stacks_off} == {
        "Network",
        "Pipeline",
    }
    commit_all(project, "Turn the pipeline off")

    update(project, version, {"with_pipeline": True})

    # Back where it was: the component's folder, settings and wiring, the team's work.
    assert differences(content(project), before) == []
    assert_merged_without_conflicts(project)
    assert set(synthesize_clean(project, tmp_path / "cdk.out-on").stacks) == stacks_before


def test_update_refuses_a_project_with_uncommitted_changes(
    template_repo: TemplateRepo, tmp_path: Path
) -> None:
    answers = {"environments": ["dev"], "with_api": False, "with_pipeline": False}
    answers["with_frontend"] = False
    project = generate(template_repo, template_repo.version_a, answers, tmp_path / "project")
    config = project / "config" / "dev.yaml"
    edit(config, r"^(  logs_expiration_days:) \d+$", r"\1 60")
    edited = config.read_text(encoding="utf-8")

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
    # GitHub's expressions reach the project as they are, not rendered by copier.
    assert "${{ secrets.TEMPLATE_UPDATE_TOKEN || github.token }}" in text


def test_projects_update_with_the_copier_the_template_is_tested_with() -> None:
    versions = yaml.safe_load((TEMPLATE_ROOT / "includes" / "versions.yml").read_text())
    pinned = versions["versions"]["default"]["copier"]
    project = tomllib.loads((TEMPLATE_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"copier=={pinned}" in project["dependency-groups"]["test"]
    assert copier.__version__ == pinned
    minimum = yaml.safe_load((TEMPLATE_ROOT / "copier.yml").read_text().split("\n---")[0])
    assert Version(minimum["_min_copier_version"]) <= Version(pinned)
