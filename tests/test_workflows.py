"""The rendered project's delivery files are what GitHub, Dependabot and pre-commit expect:
workflows that pass a workflow linter, CI without AWS credentials, a deploy per environment
through OIDC, actions and hooks pinned to the template's versions, and a fresh project that
its own pre-commit checks leave unchanged."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import MATRIX, Rendered, installed_tool, project_files
from matrix import TEMPLATE_ROOT

VERSIONS = yaml.safe_load((TEMPLATE_ROOT / "includes" / "versions.yml").read_text())["versions"][
    "default"
]
ENVIRONMENT_ORDER = ["dev", "staging", "prod"]
# `uses: owner/repo@<commit> # <tag>`: a commit cannot be moved the way a tag can.
PINNED_ACTION = re.compile(r"^[\w.-]+/[\w.-]+@(?P<sha>[0-9a-f]{40}) # (?P<tag>v[\w.]+)$")
ACTION_VERSIONS = {
    "actions/checkout": "actions_checkout",
    "actions/setup-node": "actions_setup_node",
    "astral-sh/setup-uv": "actions_setup_uv",
    "aws-actions/configure-aws-credentials": "actions_configure_aws_credentials",
}


@pytest.fixture(params=sorted(MATRIX), ids=str)
def variant(request: pytest.FixtureRequest, rendered_variants: dict[str, Rendered]) -> Rendered:
    return rendered_variants[request.param]


def workflow(variant: Rendered, name: str) -> dict[str, Any]:
    text = (variant.project_dir / ".github" / "workflows" / name).read_text(encoding="utf-8")
    # YAML 1.1 reads the key `on` as True; GitHub reads it as "on".
    return {("on" if key is True else key): value for key, value in yaml.safe_load(text).items()}


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job["steps"] if step.get("uses", "").startswith(f"{action}@")]


def commands(job: dict[str, Any]) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def ordered_environments(variant: Rendered) -> list[str]:
    return [name for name in ENVIRONMENT_ORDER if name in variant.answers["environments"]]


def workflow_linter() -> str:
    return installed_tool("jactionlint")


def test_workflows_and_dependabot_pass_the_linter(variant: Rendered) -> None:
    # jactionlint checks what actionlint does (syntax, expressions, action inputs, needs:,
    # shellcheck of run: scripts) plus the security rules of zizmor, and dependabot.yml.
    github = variant.project_dir / ".github"
    files = [*sorted(github.glob("workflows/*.yml")), github / "dependabot.yml"]
    result = subprocess.run(
        [workflow_linter(), "--no-color", "--no-online", "--strict-exit", *map(str, files)],
        cwd=variant.project_dir,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_github_expressions_survive_rendering(variant: Rendered) -> None:
    deploy = (variant.project_dir / ".github/workflows/deploy.yml").read_text(encoding="utf-8")
    ci = (variant.project_dir / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    assert "role-to-assume: ${{ vars.AWS_DEPLOY_ROLE_ARN }}" in deploy
    assert "${{ github.event_name == 'pull_request' && github.ref || github.run_id }}" in ci
    assert "raw %}" not in deploy + ci


def test_ci_lints_tests_and_synthesizes_without_aws_credentials(variant: Rendered) -> None:
    ci = workflow(variant, "ci.yml")
    assert set(ci["on"]) == {"pull_request", "push"}
    assert ci["on"]["push"] == {"branches": ["main"]}
    assert ci["permissions"] == {}
    check = ci["jobs"]["check"]
    assert check["permissions"] == {"contents": "read"}
    run = commands(check)
    for command in [
        "uv sync",
        "uv run ruff check .",
        "uv run ruff format --check .",
        "uv run pytest",
        "npx cdk synth --quiet",
    ]:
        assert command in run
    text = (variant.project_dir / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    assert "configure-aws-credentials" not in text and "secrets." not in text
    # The project's tests leave aws-cdk-lib's built-in CloudFormation validation to this synth
    # (the project's conftest.py): it must run with it.
    assert "--no-validation" not in text and "CDK_VALIDATION" not in text
    assert ("frontend" in ci["jobs"]) == variant.answers["with_frontend"]


def test_ci_hands_main_to_the_deploy_workflow(variant: Rendered) -> None:
    deploy_call = workflow(variant, "ci.yml")["jobs"]["deploy"]
    assert deploy_call["uses"] == "./.github/workflows/deploy.yml"
    assert deploy_call["if"] == "github.event_name == 'push' && github.ref == 'refs/heads/main'"
    assert "check" in deploy_call["needs"]
    assert deploy_call["permissions"] == {"contents": "read", "id-token": "write"}


def test_deploy_runs_one_job_per_environment_in_order(variant: Rendered) -> None:
    deploy = workflow(variant, "deploy.yml")
    assert set(deploy["on"]) == {"workflow_call", "workflow_dispatch"}
    assert deploy["permissions"] == {}
    environments = ordered_environments(variant)
    assert list(deploy["jobs"]) == [f"deploy-{name}" for name in environments]
    for index, name in enumerate(environments):
        job = deploy["jobs"][f"deploy-{name}"]
        assert job["environment"] == name
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        if index == 0:
            assert job["if"] == "github.ref == 'refs/heads/main'"
        else:
            assert job["needs"] == f"deploy-{environments[index - 1]}"
        stage = f"{variant.answers['project_slug']}-{name}"
        assert f"npx cdk deploy '{stage}/*' --require-approval never" in commands(job)


def test_deploy_signs_in_through_oidc_without_stored_keys(variant: Rendered) -> None:
    for job in workflow(variant, "deploy.yml")["jobs"].values():
        (sign_in,) = steps_using(job, "aws-actions/configure-aws-credentials")
        inputs = sign_in["with"]
        assert inputs["role-to-assume"] == "${{ vars.AWS_DEPLOY_ROLE_ARN }}"
        assert inputs["aws-region"] == variant.answers["aws_region"]
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(inputs)
        environment = job["environment"]
        account = variant.answers["environment_accounts"][environment]
        if account:
            assert inputs["allowed-account-ids"] == account
        else:
            assert "allowed-account-ids" not in inputs


def test_actions_are_pinned_to_the_commits_of_the_template_versions(variant: Rendered) -> None:
    for name in ("ci.yml", "deploy.yml"):
        text = (variant.project_dir / ".github/workflows" / name).read_text(encoding="utf-8")
        for uses in re.findall(r"uses: (\S+.*)$", text, re.M):
            if uses.startswith("./"):
                continue
            pinned = PINNED_ACTION.match(uses)
            assert pinned, f"{name}: {uses} is not pinned to a commit"
            key = ACTION_VERSIONS[uses.split("@")[0]]
            assert (pinned["sha"], pinned["tag"]) == (VERSIONS[f"{key}_sha"], VERSIONS[key])


def test_dependabot_watches_every_manifest_of_the_project(variant: Rendered) -> None:
    config = yaml.safe_load((variant.project_dir / ".github/dependabot.yml").read_text())
    assert config["version"] == 2
    manifests = {
        "uv": "pyproject.toml",
        "pip": "requirements.txt",
        "npm": "package.json",
        "docker": "Dockerfile",
    }
    watched: set[tuple[str, str]] = set()
    for update in config["updates"]:
        assert update["schedule"]["interval"] == "weekly"
        for directory in update.get("directories", [update.get("directory")]):
            watched.add((update["package-ecosystem"], directory))
            if update["package-ecosystem"] in manifests:
                manifest = manifests[update["package-ecosystem"]]
                assert (variant.project_dir / directory.lstrip("/") / manifest).is_file()
    package = variant.answers["package_name"]
    expected = {("uv", "/"), ("npm", "/"), ("github-actions", "/")}
    for component in ("api", "pipeline"):
        if variant.answers[f"with_{component}"]:
            expected |= {("pip", f"/{package}/{component}/runtime")}
            expected |= {("docker", f"/{package}/{component}/runtime")}
    if variant.answers["with_frontend"]:
        expected.add(("npm", f"/{package}/frontend/runtime"))
    assert watched == expected


def test_pre_commit_runs_the_pinned_hooks(variant: Rendered) -> None:
    config = yaml.safe_load((variant.project_dir / ".pre-commit-config.yaml").read_text())
    repos = {repo["repo"]: repo for repo in config["repos"]}
    hooks = repos["https://github.com/pre-commit/pre-commit-hooks"]
    assert hooks["rev"] == VERSIONS["pre_commit_hooks_sha"]
    assert {hook["id"] for hook in hooks["hooks"]} == {
        "check-yaml",
        "check-merge-conflict",
        "check-json",
        "end-of-file-fixer",
        "trailing-whitespace",
    }
    ruff = repos["https://github.com/astral-sh/ruff-pre-commit"]
    # The hook's ruff is the one of the project's dev group, so hook and CI agree.
    pyproject = (variant.project_dir / "pyproject.toml").read_text(encoding="utf-8")
    assert f'"ruff=={ruff["rev"].removeprefix("v")}"' in pyproject
    assert {hook["id"] for hook in ruff["hooks"]} == {"ruff-check", "ruff-format"}


def rendered_text_files(project_dir: Path) -> list[Path]:
    """The text files of a fresh project: all that its first commit holds (no rendered file is
    ignored, tests/test_render.py), less the bytecode that synthesizing it left."""
    files = []
    for path in project_files(project_dir):
        if not path.is_file():
            continue
        try:
            path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        files.append(path)
    return files


def test_a_fresh_project_passes_its_own_pre_commit_checks(variant: Rendered) -> None:
    """What check-yaml, check-json, end-of-file-fixer and trailing-whitespace check: a new
    project's first `pre-commit run --all-files` changes nothing."""
    problems = []
    for path in rendered_text_files(variant.project_dir):
        relative = path.relative_to(variant.project_dir)
        text = path.read_text(encoding="utf-8")
        if text and (not text.endswith("\n") or text.endswith("\n\n")):
            problems.append(f"{relative}: must end with exactly one newline")
        if any(line != line.rstrip(" \t") for line in text.splitlines()):
            problems.append(f"{relative}: trailing whitespace")
        try:
            if path.suffix in {".yml", ".yaml"}:
                list(yaml.safe_load_all(text))
            elif path.suffix == ".json":
                json.loads(text)
        except (yaml.YAMLError, json.JSONDecodeError) as error:
            problems.append(f"{relative}: {error}")
    assert problems == []
