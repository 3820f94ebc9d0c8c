"""The variant matrix: render the named answer sets of variants.yaml and synthesize them.

Used by the tests (session fixtures) and by `nox -s bench`; CI spreads the variants over
jobs in shards of similar cost (`VARIANT_SHARD=i/N`, tests/conftest.py). Each worker process
synthesizes its share of the rendered projects one after the other: the jsii runtime starts
once per worker, and each further app costs a fraction of a second instead of a process
start; one worker per core. The renders take the shortcuts of render_shortcuts.py (see
docs/performance.md).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import importlib
import importlib.util
import json
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import copier
import yaml

from render_shortcuts import TEMPLATE_ROOT, shortcuts, template_snapshot

VARIANTS_FILE = TEMPLATE_ROOT / "tests" / "variants.yaml"


def project_environment() -> dict[str, str]:
    """The environment for commands run inside a rendered project.

    nox points uv at its own session environment (UV_PROJECT_ENVIRONMENT, UV_PYTHON,
    VIRTUAL_ENV); a rendered project must get, and run in, its own .venv instead.
    """
    hidden = {"UV_PROJECT_ENVIRONMENT", "UV_PYTHON", "VIRTUAL_ENV"}
    return {name: value for name, value in os.environ.items() if name not in hidden}


def load_variants() -> dict[str, dict[str, Any]]:
    return yaml.safe_load(VARIANTS_FILE.read_text(encoding="utf-8"))


def render(
    answers: dict[str, Any],
    destination: Path,
    *,
    template: Path = TEMPLATE_ROOT,
    vcs_ref: str | None = None,
    tasks: bool = True,
) -> dict:
    """Render the template with copier's defaults for what `answers` leaves out; `tasks`
    runs the post-copy task (git init and a first commit).

    Returns every answer the project was generated with, hidden and computed ones included.
    """
    worker = copier.run_copy(
        str(template),
        destination,
        data=answers,
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref=vcs_ref,
        skip_tasks=not tasks,
    )
    return dict(worker.answers.combined)


@dataclass
class Stack:
    """One synthesized CloudFormation stack."""

    name: str  # the display path, e.g. "datathon-platform-dev/DataLake"
    template: dict[str, Any]

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template.get("Resources", {}).items()
            if resource["Type"] == resource_type
        }


@dataclass
class SynthReport:
    """What synthesizing one rendered project produced."""

    error: str | None = None
    nag_findings: list[str] = field(default_factory=list)
    stacks: dict[str, Stack] = field(default_factory=dict)
    # The cloud assembly (cdk.out), which the security gates scan.
    outdir: Path | None = None
    # Rules acknowledged on the app or a whole stage, "<path>: <rule id>" (there must be none).
    scope_acknowledgements: list[str] = field(default_factory=list)
    # Each environment's effective settings (config file over the components' defaults).
    settings: dict[str, dict[str, Any]] = field(default_factory=dict)

    def stack(self, stage: str, component: str) -> Stack:
        return self.stacks[f"{stage}/{component}"]


def _purge_modules(package_name: str) -> None:
    """Forget the previous project's modules: every rendered project has its own `app`."""
    for name in list(sys.modules):
        if name == "app" or name.split(".")[0] == package_name:
            del sys.modules[name]


def _read_stacks(outdir: Path) -> dict[str, Stack]:
    stacks: dict[str, Stack] = {}
    for manifest_path in outdir.glob("assembly-*/manifest.json"):
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for artifact in manifest.get("artifacts", {}).values():
            if artifact["type"] != "aws:cloudformation:stack":
                continue
            template_file = manifest_path.parent / artifact["properties"]["templateFile"]
            name = artifact["displayName"]
            stacks[name] = Stack(name, json.loads(template_file.read_text(encoding="utf-8")))
    return stacks


def _nag_findings(outdir: Path) -> list[str]:
    report_path = outdir / "validation-report.json"
    if not report_path.exists():
        return []
    report = json.loads(report_path.read_text(encoding="utf-8"))
    findings = []
    for plugin in report.get("pluginReports", []):
        for violation in plugin.get("violations", []):
            for construct in violation.get("violatingConstructs", []):
                findings.append(f"{violation['ruleName']}: {construct['constructPath']}")
    return findings


def _scope_acknowledgements(app: Any) -> list[str]:
    """Acknowledgements recorded on the app or a stage itself, which cover all they hold."""
    return [
        f"{scope.node.path or '(app)'}: {rule_id}"
        for scope in [app, *app.node.children]
        for entry in scope.node.metadata
        if entry.type == "aws:cdk:acknowledged-rules"
        for rule_id in entry.data
    ]


@contextlib.contextmanager
def _importable(project_dir: Path, package_name: str) -> Iterator[None]:
    """The rendered project's package and `app` importable in this process, and forgotten
    afterwards: every rendered project has its own."""
    _purge_modules(package_name)
    sys.path.insert(0, str(project_dir))
    try:
        yield
    finally:
        sys.path.remove(str(project_dir))
        _purge_modules(package_name)


def project_module(project_dir: Path, package_name: str, module: str) -> ModuleType:
    """A module of a rendered project's package (e.g. "cost"), imported from its files; its
    package is forgotten afterwards, as another project may have one of the same name."""
    with _importable(project_dir, package_name):
        return importlib.import_module(f"{package_name}.{module}")


def project_settings(project_dir: Path, package_name: str) -> dict[str, dict[str, Any]]:
    """Each environment's effective settings of a rendered project, loaded in this process."""
    with _importable(project_dir, package_name):
        environment = importlib.import_module(f"{package_name}.environment")
        return {
            name: environment.load_settings(name).model_dump(mode="json")
            for name in environment.environment_names()
        }


def settings_error(
    project_dir: Path, package_name: str, environment: str, config_dir: Path
) -> str | None:
    """What a rendered project's settings check says of ``config_dir/<environment>.yaml``
    (its SettingsError's message), or None when it accepts the file."""
    with _importable(project_dir, package_name):
        module = importlib.import_module(f"{package_name}.environment")
        try:
            module.load_settings(environment, config_dir)
        except module.SettingsError as error:
            return str(error)
        return None


def _stage_settings(app: Any) -> dict[str, dict[str, Any]]:
    """The settings each environment's stage was built from (PlatformStage.settings)."""
    return {
        stage.settings.name: stage.settings.model_dump(mode="json")
        for stage in app.node.children
        if hasattr(stage, "settings")
    }


def synthesize(
    project_dir: Path,
    package_name: str,
    outdir: Path,
    *,
    builtin_validation: bool = True,
    environments: list[str] | None = None,
    change: Callable[[Any], None] | None = None,
) -> SynthReport:
    """Synthesize a rendered project in this process, with cdk-nag as its app registers it:
    its ``environments`` (all by default), after ``change`` (given the app) if any."""
    with _importable(project_dir, package_name):
        spec = importlib.util.spec_from_file_location("app", project_dir / "app.py")
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules["app"] = module
        spec.loader.exec_module(module)
        app = module.build_app(
            outdir=str(outdir),
            environments=environments,
            builtin_cloud_formation_validation=builtin_validation,
        )
        if change is not None:
            change(app)
        settings = _stage_settings(app)
        try:
            app.synth()
        except Exception as error:  # cdk-nag findings raise; the report says which
            return SynthReport(
                error=str(error),
                nag_findings=_nag_findings(outdir),
                stacks=_read_stacks(outdir),
                outdir=outdir,
                settings=settings,
            )
        return SynthReport(
            stacks=_read_stacks(outdir),
            outdir=outdir,
            scope_acknowledgements=_scope_acknowledgements(app),
            settings=settings,
        )


def _render_and_synthesize(
    names: list[str], root: Path, template: Path
) -> list[tuple[str, dict[str, Any], SynthReport]]:
    """One worker's share of the matrix: render each variant, then synthesize it with cdk-nag.

    Left to other tests, as they cost seconds and vary with no answer: the post-copy git
    commit (tests/test_hooks.py), and aws-cdk-lib's built-in CloudFormation validation, which
    checks what cfn-lint checks on every variant (tests/test_security.py runs it on all_on).
    """
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    variants = load_variants()["supported"]
    results = []
    with shortcuts():  # one compiled-Jinja cache for all the renders of this share
        for name in names:
            answers = render(variants[name], root / name, template=template, tasks=False)
            report = synthesize(
                root / name,
                answers["package_name"],
                root / "cdk.out" / name,
                builtin_validation=False,
            )
            results.append((name, answers, report))
    return results


def _cost(answers: dict[str, Any]) -> int:
    """A variant's rough cost in tenths of a second, as measured by `nox -s bench`: about
    0.2 s to render, 0.1 s per stack to synthesize."""
    environments = len(answers.get("environments", ["dev", "prod"]))
    toggles = ("with_data_lake", "with_api", "with_pipeline", "with_frontend")
    # The toggled components, plus the network (roughly) and monitoring, which every one has.
    components = 2 + sum(bool(answers.get(toggle, True)) for toggle in toggles)
    return 2 + environments * components


def balance(costs: dict[str, int], count: int) -> list[list[str]]:
    """Split the names of ``costs`` into ``count`` shares of about equal total cost: costliest
    first, each to the share with the least so far (ties by name, so that the same costs always
    give the same shares, whatever their order)."""
    shares: list[list[str]] = [[] for _ in range(count)]
    loads = [0] * count
    for name in sorted(costs, key=lambda name: (-costs[name], name)):
        lightest = loads.index(min(loads))
        shares[lightest].append(name)
        loads[lightest] += costs[name]
    return shares


# ─── Shards: the matrix spread over CI jobs ───────────────────────────────────────────────

SHARD_VARIABLE = "VARIANT_SHARD"
# What the tests do with a variant beyond the matrix's render and synth, in the same units:
# tests/test_security.py synthesizes all_on again under the two other compliance packs and
# with aws-cdk-lib's own validation on, and tests/test_render.py copies it with copier (about
# 21 s of a shard's run on two cores, where a stack costs about 0.75 s with its scans).
EXTRA_COST = {"all_on": 28}


def shard_cost(name: str, answers: dict[str, Any]) -> int:
    """A variant's estimated share of a CI job: its stacks, rendered, synthesized and scanned
    (more components and environments, more stacks), and the tests that take it further."""
    return _cost(answers) + EXTRA_COST.get(name, 0)


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/3"`` as (2, 3): the second of three shards."""
    index, _, count = text.partition("/")
    if not (index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise ValueError(f"{SHARD_VARIABLE}={text!r}: give i/N with 1 <= i <= N, e.g. 2/3")
    return int(index), int(count)


def shards(count: int, variants: dict[str, dict[str, Any]] | None = None) -> list[list[str]]:
    """The supported variants in ``count`` shards of about equal estimated cost, each sorted."""
    variants = load_variants()["supported"] if variants is None else variants
    costs = {name: shard_cost(name, answers) for name, answers in variants.items()}
    return [sorted(share) for share in balance(costs, count)]


def shard_variants(shard: str | None, variants: dict[str, dict[str, Any]]) -> list[str]:
    """The names of the variants that ``shard`` (``"i/N"``) holds; all of them without one."""
    if not shard:
        return list(variants)
    index, count = parse_shard(shard)
    return shards(count, variants)[index - 1]


def run_matrix(
    root: Path, workers: int | None = None, names: list[str] | None = None
) -> dict[str, tuple[dict[str, Any], SynthReport]]:
    """Render and synthesize the supported variants under ``root``: those of ``names``, or all.

    Each worker process starts jsii once and then synthesizes its share of the variants in
    turn; the workers run side by side, one per core (two on CI's machine). (This process
    taking a share itself, instead of waiting, measured slower.)
    """
    variants = load_variants()["supported"]
    names = list(variants) if names is None else names
    template = template_snapshot(root / ".template")
    workers = max(1, min(workers or os.cpu_count() or 1, len(names)))
    # Longest first, each to the least loaded worker, so that the workers finish together.
    shares = balance({name: _cost(variants[name]) for name in names}, workers)
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
        done = pool.map(_render_and_synthesize, shares, [root] * workers, [template] * workers)
        return {name: (answers, report) for share in done for name, answers, report in share}
