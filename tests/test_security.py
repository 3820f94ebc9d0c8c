"""Security and reliability gates on every supported variant: cdk-nag with real reasons, cfn-lint
and checkov at zero, aws-cdk-lib's own template validation, each compliance pack, data that
outlives its stack. The scanners run once over all variants' templates (the session's
synthesis, tests/conftest.py); findings are reported by variant and stack."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import security_reference as reference
from conftest import MATRIX, SUPPORTED, Rendered
from matrix import SynthReport, render, synthesize

VARIANTS = sorted(MATRIX)
# W3005, a DependsOn that a Ref or GetAtt already implies: CDK writes such pairs (a role and the
# function or service that uses it) in every project.
CFN_LINT_ALLOWED = {"W3005"}
# A reason says why, in words: not a placeholder.
PLACEHOLDERS = {"", "n/a", "na", "none", "todo", "tbd", "-", "ok", "fine"}
MIN_REASON_WORDS = 5
# Rules that report each finding under its own ID (the wildcard, the managed policy): the
# bare ID would acknowledge every such finding at once.
GRANULAR_RULES = {"AwsSolutions-IAM4", "AwsSolutions-IAM5"}
# State that must outlive its stack unless the environment's config says destroy_on_delete.
STATEFUL = ("AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::KMS::Key")


def is_real_reason(reason: str) -> bool:
    return reason.strip().lower() not in PLACEHOLDERS and len(reason.split()) >= MIN_REASON_WORDS


@pytest.fixture(params=VARIANTS, ids=str)
def name(request: pytest.FixtureRequest) -> str:
    return request.param


# ─── The scanners, once over every variant ────────────────────────────────────────────────


@dataclass(frozen=True)
class Location:
    variant: str
    stack: str

    def __str__(self) -> str:
        return f"{self.variant}: {self.stack}"


@dataclass
class Scan:
    """One scanner's run: its findings (parsed JSON) and how long it took."""

    output: Any
    seconds: float


@dataclass
class Scans:
    """Both scanners' runs, over files named relative to ``root``."""

    root: Path
    cfn_lint: Scan
    checkov: Scan


# checkov reads a template's path too (its __file__ annotation): with the project "three envs",
# the staging pipeline's path holds 40 letters, digits and slashes in a row, which CKV_AWS_45
# takes for an AWS secret key. A copy of a pipeline template there must pass as well.
SECRET_LOOKING_PATH = "assembly-three-envs-staging/threeenvsstagingPipeline8524BFA3.template.json"


@pytest.fixture(scope="session")
def gate_templates(
    synthesized: dict[str, SynthReport], tmp_path_factory: pytest.TempPathFactory
) -> dict[Path, Location]:
    """Every template of every supported variant, with the variant and stack it belongs to;
    and one pipeline template again, under a path that looks like a secret to checkov."""
    templates = {}
    for variant, report in synthesized.items():
        assert report.outdir is not None, f"{variant} did not synthesize: {report.error}"
        for stack in reference.stacks(report.outdir):
            templates[stack.template.resolve()] = Location(variant, stack.display_name)
    pipelines = sorted(
        (location.variant, path)
        for path, location in templates.items()
        if location.stack.endswith("/Pipeline")
    )
    if pipelines:
        variant, source = pipelines[0]
        copy = tmp_path_factory.mktemp("renamed") / SECRET_LOOKING_PATH
        copy.parent.mkdir()
        shutil.copyfile(source, copy)
        templates[copy.resolve()] = Location(f"{variant}, as project three envs", "staging")
    return templates


def _tool(name: str) -> str:
    """A scanner of the `security` dependency group: where nox installed it (an environment of
    its own, SECURITY_TOOLS_BIN), beside this Python, or on PATH."""
    for directory in (os.environ.get("SECURITY_TOOLS_BIN"), Path(sys.executable).parent):
        if directory and (Path(directory) / name).exists():
            return str(Path(directory) / name)
    found = shutil.which(name)
    if found:
        return found
    message = f"{name} is not installed: run the tests through nox (`nox -s tests`)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def scans(gate_templates: dict[Path, Location], tmp_path_factory: pytest.TempPathFactory) -> Scans:
    """cfn-lint and checkov, each run once over all templates, side by side."""
    cfn_lint, checkov = _tool("cfn-lint"), _tool("checkov")
    root = Path(os.path.commonpath(list(gate_templates)))
    files = sorted(str(path.relative_to(root)) for path in gate_templates)
    out = tmp_path_factory.mktemp("scans")
    commands = {
        "cfn-lint": [cfn_lint, "--format", "json", "--", *files],
        # --skip-download: no call home for guidelines; checkov then works offline.
        "checkov": [
            checkov,
            "--framework",
            "cloudformation",
            "--output",
            "json",
            "--quiet",
            "--compact",
            "--skip-download",
            *(f"--file={file}" for file in files),
        ],
    }
    started, running = time.monotonic(), {}
    for tool, command in commands.items():
        stdout = (out / f"{tool}.json").open("w")
        running[tool] = (subprocess.Popen(command, cwd=root, stdout=stdout), stdout)
    results = {}
    for tool, (process, stdout) in running.items():
        code = process.wait(timeout=900)
        stdout.close()
        text = (out / f"{tool}.json").read_text()
        # cfn-lint's exit code is a bitmask of levels found; checkov's is 1 on a failed check.
        assert text.strip(), f"{tool} printed nothing (exit code {code})"
        results[tool] = Scan(json.loads(text), time.monotonic() - started)
    return Scans(root, cfn_lint=results["cfn-lint"], checkov=results["checkov"])


def _located(gate_templates: dict[Path, Location], root: Path, file: str) -> Location:
    """The variant and stack of a scanner's file name (absolute, or relative to ``root``)."""
    path = Path(file)
    return gate_templates[(path if path.is_absolute() else root / file).resolve()]


def test_cfn_lint_finds_nothing_but_w3005(
    scans: Scans, gate_templates: dict[Path, Location]
) -> None:
    findings = [
        f"{_located(gate_templates, scans.root, f['Filename'])}: {f['Rule']['Id']} "
        f"{'/'.join(map(str, f['Location']['Path']))}: {f['Message']}"
        for f in scans.cfn_lint.output
        if f["Rule"]["Id"] not in CFN_LINT_ALLOWED
    ]
    print(f"cfn-lint: {len(gate_templates)} templates in {scans.cfn_lint.seconds:.1f} s")
    assert findings == []


def test_checkov_fails_no_check(scans: Scans, gate_templates: dict[Path, Location]) -> None:
    report = scans.checkov.output
    reports = report if isinstance(report, list) else [report]
    failed = [
        f"{_located(gate_templates, scans.root, check.get('file_abs_path') or '')}: "
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for result in reports
        for check in result.get("results", {}).get("failed_checks", [])
    ]
    summary = reports[0].get("summary", {})
    print(f"checkov: {summary} in {scans.checkov.seconds:.1f} s")
    assert failed == []
    assert summary.get("parsing_errors", 0) == 0
    assert summary.get("resource_count", 0) > 0


def test_scanner_exceptions_are_per_resource_with_a_reason(gate_templates) -> None:
    problems = []
    for path, location in gate_templates.items():
        template = json.loads(path.read_text())
        if "cfn-lint" in template.get("Metadata", {}):
            problems.append(f"{location}: cfn-lint is configured for the whole template")
        for logical_id, resource in template.get("Resources", {}).items():
            metadata = resource.get("Metadata", {})
            for skip in metadata.get("checkov", {}).get("skip", []):
                if not re.fullmatch(r"CKV2?_AWS_\d+", skip.get("id", "")):
                    problems.append(f"{location}: {logical_id} skips {skip.get('id')!r}")
                if not is_real_reason(skip.get("comment", "")):
                    problems.append(f"{location}: {logical_id} skips {skip['id']} without reason")
            lint = metadata.get("cfn-lint", {})
            for rule in lint.get("config", {}).get("ignore_checks", []):
                if not is_real_reason(lint.get("reasons", {}).get(rule, "")):
                    problems.append(f"{location}: {logical_id} ignores {rule} without reason")
    assert problems == []


# ─── cdk-nag and aws-cdk-lib's own validation ─────────────────────────────────────────────


def test_acknowledgements_name_one_rule_each_with_a_reason(
    name: str, synthesized: dict[str, SynthReport]
) -> None:
    report = synthesized[name]
    assert report.outdir is not None
    problems = [f"{entry} covers a whole app or stage" for entry in report.scope_acknowledgements]
    for stack in reference.stacks(report.outdir):
        for where, plugin, rule, reason in reference.acknowledgements(stack):
            at = f"{stack.display_name}/{where}"
            if plugin == "CloudFormation-Validate":
                continue  # aws-cdk-lib's own, inside its constructs (docs/security.md lists them)
            if plugin != "Annotation" or not reference._NAG_RULE.match(rule):
                problems.append(f"{at}: {plugin}::{rule} is not a cdk-nag rule ID")
            if rule in GRANULAR_RULES:
                problems.append(f"{at}: {rule} without its [finding] covers every such finding")
            if where == "(the stack)":
                problems.append(f"{at}: {rule} is acknowledged for the whole stack")
            if not is_real_reason(reason):
                problems.append(f"{at}: {rule} has no real reason: {reason!r}")
        for where, patterns, actions, reason in reference.wildcard_allowances(stack):
            at = f"{stack.display_name}/{where}"
            if where == "(the stack)" or not patterns or ".*" in patterns:
                problems.append(f"{at}: wildcard allowance {patterns} is not specific")
            if not actions or "*" in actions:
                problems.append(f"{at}: wildcard allowance {patterns} names no actions")
            if not is_real_reason(reason):
                problems.append(f"{at}: wildcard allowance {patterns} has no real reason")
    assert problems == []


@pytest.mark.variants("all_on")
def test_builtin_cloudformation_validation_finds_nothing_on_all_on(
    rendered_variants: dict[str, Rendered], tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The matrix synthesizes without it (it costs seconds a worker): synthesize all_on again.
    variant = rendered_variants["all_on"]
    outdir = tmp_path_factory.mktemp("all-on-validated")
    report = synthesize(
        variant.project_dir, variant.answers["package_name"], outdir, builtin_validation=True
    )
    assert report.outdir is not None and report.error is None
    validation = json.loads((report.outdir / "validation-report.json").read_text())
    findings = [
        f"{plugin.get('pluginName')}: {violation.get('ruleName')}: {violation.get('description')}"
        for plugin in validation.get("pluginReports", [])
        for violation in plugin.get("violations", [])
    ]
    assert findings == []


@pytest.mark.variants("all_on")
def test_an_action_planted_on_an_allowed_wildcard_fails_synth_naming_role_and_action(
    rendered_variants: dict[str, Rendered], tmp_path: Path
) -> None:
    """A wildcard allowance names its actions: a statement that adds another action on the
    same `*` (here a secret's value, on the export function's role, whose allowance names the
    VPC's and X-Ray's actions) stops the synth, and the message names the role and the action."""
    from aws_cdk import aws_iam as iam

    variant = rendered_variants["all_on"]
    stage = variant.stage("dev")

    def plant(app: Any) -> None:
        role = (
            app.node.find_child(stage)
            .node.find_child("Pipeline")
            .node.find_child("ExportTablesRole")
        )
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=["secretsmanager:GetSecretValue"], resources=["*"])
        )

    report = synthesize(
        variant.project_dir,
        variant.answers["package_name"],
        tmp_path / "cdk.out",
        builtin_validation=False,
        environments=["dev"],
        change=plant,
    )
    assert report.error is not None
    assert f"{stage}/Pipeline/ExportTablesRole grants secretsmanager:GetSecretValue on *" in (
        report.error
    )


@pytest.fixture(scope="session")
def all_on_under_every_pack(
    synthesized: dict[str, SynthReport], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, SynthReport]:
    """The all-on variant synthesized under each compliance pack (its own pack: the session's)."""
    own = SUPPORTED["all_on"].get("compliance_pack", "none")
    reports = {own: synthesized["all_on"]}
    root = tmp_path_factory.mktemp("all-on-packs")
    for pack in reference.PACKS:
        if pack in reports:
            continue
        project = root / pack
        answers = render({**SUPPORTED["all_on"], "compliance_pack": pack}, project, tasks=False)
        reports[pack] = synthesize(
            project, answers["package_name"], root / f"{pack}-cdk.out", builtin_validation=False
        )
    return reports


@pytest.mark.variants("all_on")
@pytest.mark.parametrize("pack", reference.PACKS)
def test_all_on_is_clean_under_each_compliance_pack(
    pack: str, all_on_under_every_pack: dict[str, SynthReport]
) -> None:
    report = all_on_under_every_pack[pack]
    assert report.nag_findings == [], "\n".join(report.nag_findings)
    assert report.error is None


@pytest.mark.whole_matrix  # the page lists what every variant holds
def test_security_page_lists_every_exception(
    synthesized: dict[str, SynthReport], all_on_under_every_pack: dict[str, SynthReport]
) -> None:
    outdirs = {
        report.outdir for report in [*synthesized.values(), *all_on_under_every_pack.values()]
    }
    expected = reference.page_with(reference.render_generated(sorted(outdirs)))
    assert reference.PAGE.read_text() == expected, (
        "docs/security.md is stale: run python scripts/security_reference.py"
    )


# ─── Data outlives its stack unless the settings say otherwise ─────────────────────────────


def _config_days(section: dict[str, Any], kind: str) -> set[int]:
    """The day counts of a config section's keys that name ``kind`` of expiry."""
    return {value for key, value in section.items() if key.endswith(f"{kind}_days")}


def test_state_outlives_its_stack_unless_the_config_says_so(
    name: str, synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    variant = rendered_variants[name]
    problems = []
    for environment in variant.answers["environments"]:
        config = synthesized[name].settings[environment]
        destroy = config["destroy_on_delete"]
        if environment == "prod":
            assert destroy is False, f"{name}: prod's defaults destroy data"
        expected = "Delete" if destroy else "Retain"
        stage = variant.stage(environment)
        for stack in (
            s for s in synthesized[name].stacks.values() if s.name.startswith(stage + "/")
        ):
            for resource_type in STATEFUL:
                for logical_id, resource in stack.resources(resource_type).items():
                    policies = (resource.get("DeletionPolicy"), resource.get("UpdateReplacePolicy"))
                    if policies != (expected, expected):
                        problems.append(f"{stack.name}: {logical_id} has {policies}")
            auto_delete = stack.resources("Custom::S3AutoDeleteObjects")
            if auto_delete and not destroy:
                problems.append(f"{stack.name}: empties buckets on delete, config says keep")
            for logical_id, bucket in stack.resources("AWS::S3::Bucket").items():
                problems += _expiry_problems(f"{stack.name}: {logical_id}", bucket, config)
    assert problems == []


def _expiry_problems(where: str, bucket: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """A versioned bucket's old versions expire after days the config names, and so does
    anything that expires at all; nothing expires without such a rule."""
    properties = bucket["Properties"]
    rules = properties.get("LifecycleConfiguration", {}).get("Rules", [])
    lake = config["data_lake"]
    problems = []
    if properties.get("VersioningConfiguration", {}).get("Status") != "Enabled":
        problems.append(f"{where} is not versioned")
    noncurrent = [
        r["NoncurrentVersionExpiration"]["NoncurrentDays"]
        for r in rules
        if "NoncurrentVersionExpiration" in r
    ]
    if not noncurrent:
        problems.append(f"{where}: old versions never expire")
    problems += [
        f"{where}: old versions expire after {days} days, which no config key names"
        for days in noncurrent
        if days not in _config_days(lake, "noncurrent_version_expiration")
    ]
    problems += [
        f"{where}: objects expire after {rule['ExpirationInDays']} days, which no config key names"
        for rule in rules
        if "ExpirationInDays" in rule
        and rule["ExpirationInDays"] not in _config_days(lake, "expiration")
    ]
    return problems
