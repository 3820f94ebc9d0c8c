"""The template's own delivery (.github/ of this repository, not of the rendered project): its
workflows pass the workflow linter, pin their actions to the commits the rendered workflows use
and ask for no more permissions than they need, and CI's shards of the variant matrix cover
every variant once at similar costs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import SUPPORTED
from matrix import SHARD_VARIABLE, TEMPLATE_ROOT, parse_shard, shard_cost, shards
from test_workflows import ACTION_VERSIONS, PINNED_ACTION, VERSIONS, workflow_linter

GITHUB = TEMPLATE_ROOT / ".github"
WORKFLOWS = sorted((GITHUB / "workflows").glob("*.yml"))
ACTIONS = sorted((GITHUB / "actions").glob("*/action.yml"))
# The template's own actions beyond those of the rendered workflows (versions.yml pins those).
OWN_ACTIONS = {"actions/cache", "actions/upload-pages-artifact", "actions/deploy-pages"}
SLOW_MARK = r"^(?:@pytest\.mark\.slow|pytestmark = pytest\.mark\.slow)"


def load(path: Path) -> dict[str, Any]:
    # YAML 1.1 reads the key `on` as True; GitHub reads it as "on".
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {("on" if key is True else key): value for key, value in data.items()}


def ci() -> dict[str, Any]:
    return load(GITHUB / "workflows" / "ci.yml")


def shard_count() -> int:
    """How many shards CI runs: the one list of them, in ci.yml's `variants` job."""
    return len(ci()["jobs"]["variants"]["strategy"]["matrix"]["shard"])


def test_the_workflows_pass_the_workflow_linter() -> None:
    assert {path.name for path in WORKFLOWS} == {"ci.yml", "docs.yml", "release.yml", "pins.yml"}
    result = subprocess.run(
        [workflow_linter(), "--no-color", "--no-online", "--strict-exit", *map(str, WORKFLOWS)],
        cwd=TEMPLATE_ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actions_are_pinned_by_commit_to_the_rendered_workflows_versions() -> None:
    for path in [*WORKFLOWS, *ACTIONS]:
        for job_or_action in _steps_by_owner(load(path)):
            for step in job_or_action:
                uses = step.get("uses", "")
                if not uses or uses.startswith("./"):
                    continue
                text = f"{uses} # {_comment(path, uses)}"
                pinned = PINNED_ACTION.match(text)
                assert pinned, f"{path.name}: {uses} is not pinned to a commit"
                action = uses.split("@")[0]
                if action in OWN_ACTIONS:
                    continue
                key = ACTION_VERSIONS[action]
                assert (pinned["sha"], pinned["tag"]) == (VERSIONS[f"{key}_sha"], VERSIONS[key])


def _steps_by_owner(document: dict[str, Any]) -> list[list[dict[str, Any]]]:
    if "runs" in document:
        return [document["runs"].get("steps", [])]
    return [job.get("steps", []) for job in document["jobs"].values()]


def _comment(path: Path, uses: str) -> str:
    """The `# vX.Y.Z` after a `uses:` line, which YAML drops."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip().removeprefix("- ").startswith(f"uses: {uses}"):
            return line.split(" # ", 1)[1].strip() if " # " in line else ""
    return ""


def test_tools_follow_the_rendered_projects_versions() -> None:
    action = (GITHUB / "actions" / "tools" / "action.yml").read_text(encoding="utf-8")
    assert f'node-version: "{VERSIONS["node_major"]}"' in action


def test_every_workflow_grants_nothing_by_default_and_each_job_asks() -> None:
    for path in WORKFLOWS:
        workflow = load(path)
        assert workflow["permissions"] == {}, path.name
        for name, job in workflow["jobs"].items():
            assert "permissions" in job, f"{path.name}: {name} says no permissions"
            granted = {scope for scope, level in job["permissions"].items() if level == "write"}
            assert granted <= {
                ("release.yml", "release"): {"contents"},
                ("docs.yml", "deploy"): {"pages", "id-token"},
            }.get((path.name, name), set()), f"{path.name}: {name} may write {granted}"
        text = path.read_text(encoding="utf-8")
        assert "secrets." not in text and "pull_request_target" not in text, path.name


def test_ci_checks_pull_requests_and_main_and_one_job_sums_them_up() -> None:
    workflow = ci()
    assert set(workflow["on"]) == {"pull_request", "push"}
    assert workflow["on"]["push"] == {"branches": ["main"]}
    summary = workflow["jobs"]["ci"]
    assert summary["if"] == "always()"
    assert set(summary["needs"]) == set(workflow["jobs"]) - {"ci"}
    variants = workflow["jobs"]["variants"]
    assert variants["strategy"]["fail-fast"] is False
    assert variants["env"][SHARD_VARIABLE] == "${{ matrix.shard }}/${{ strategy.job-total }}"
    assert variants["strategy"]["matrix"]["shard"] == list(range(1, shard_count() + 1))


def test_every_slow_test_file_runs_in_a_job_of_its_own() -> None:
    """The jobs of other tests leave out `slow`: each such file must be some job's."""
    noxfile = (TEMPLATE_ROOT / "noxfile.py").read_text(encoding="utf-8")
    commands = [step.get("run", "") for job in ci()["jobs"].values() for step in job["steps"]]
    covered = "\n".join(commands)
    for session in re.findall(r"noxw\.py -s (\w+)", covered):
        body = re.search(rf"\ndef {session}\(session.*?(?=\n@nox\.session|\Z)", noxfile, re.S)
        covered += body[0] if body else ""
    slow = [
        path.relative_to(TEMPLATE_ROOT).as_posix()
        for path in sorted((TEMPLATE_ROOT / "tests").glob("test_*.py"))
        if re.search(SLOW_MARK, path.read_text(encoding="utf-8"), re.M)
    ]
    assert slow and [file for file in slow if file not in covered] == []


def test_release_runs_on_version_tags_and_publishes_the_checked_notes() -> None:
    release = load(GITHUB / "workflows" / "release.yml")
    assert release["on"] == {"push": {"tags": ["v*.*.*"]}}
    run = "\n".join(step.get("run", "") for step in release["jobs"]["release"]["steps"])
    assert 'noxw.py -s release_check -- "$GITHUB_REF_NAME" --notes' in run
    assert "gh release create" in run and "--notes-file" in run


def test_docs_publish_from_main_to_pages() -> None:
    docs = load(GITHUB / "workflows" / "docs.yml")
    assert docs["on"]["push"] == {"branches": ["main"]}
    build = docs["jobs"]["build"]
    assert any("noxw.py -s docs" in step.get("run", "") for step in build["steps"])
    # The footer's version needs the tags (scripts/site_version.py).
    assert build["steps"][0]["with"]["fetch-depth"] == 0


# ─── Shards of the variant matrix ─────────────────────────────────────────────────────────


def test_the_shards_cover_every_variant_exactly_once() -> None:
    found = shards(shard_count())
    assert len(found) == shard_count()
    names = [name for share in found for name in share]
    assert sorted(names) == sorted(SUPPORTED), "a variant is missing or in two shards"


def test_the_shards_estimated_costs_differ_by_less_than_a_third() -> None:
    costs = [sum(shard_cost(n, SUPPORTED[n]) for n in share) for share in shards(shard_count())]
    assert max(costs) - min(costs) < max(costs) / 3, costs


def test_the_shards_are_the_same_whatever_the_order_of_the_variants_file() -> None:
    backwards = dict(reversed(SUPPORTED.items()))
    assert shards(shard_count(), backwards) == shards(shard_count(), SUPPORTED)


@pytest.mark.parametrize("text", ["0/3", "4/3", "3", "a/b", "1/0", ""])
def test_a_bad_shard_is_refused_with_the_form_to_give(text: str) -> None:
    with pytest.raises(ValueError, match=r"give i/N with 1 <= i <= N"):
        parse_shard(text)


# Light test files with both kinds of matrix test: by variant, and one named variant.
SAMPLE = ["tests/test_project_docs.py", "tests/test_ci_access.py"]


def _collected(shard: str | None) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if k != SHARD_VARIABLE}
    if shard:
        environment[SHARD_VARIABLE] = shard
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *SAMPLE],
        cwd=TEMPLATE_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        text=True,
    )


def test_each_test_of_the_matrix_runs_in_exactly_one_shard() -> None:
    count = shard_count()
    every_shard = [f"{index}/{count}" for index in range(1, count + 1)]
    runs = {shard: _collected(shard) for shard in [None, *every_shard]}
    collected = {}
    for shard, process in runs.items():
        stdout, _ = process.communicate(timeout=120)
        assert process.returncode == 0, stdout
        collected[shard] = [line for line in stdout.splitlines() if "::" in line]
    everything = collected.pop(None)
    in_shards = [test for tests in collected.values() for test in tests]
    assert sorted(in_shards) == sorted(set(in_shards)), "a test runs in two shards"
    matrix_tests = {test for test in everything if "test_some_variants_have" not in test}
    assert set(in_shards) == matrix_tests
