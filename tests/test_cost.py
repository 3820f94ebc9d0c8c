"""The project's cost command counts what each environment keeps running: for the defaults its
figures are the sums worked out here by hand from the price table, and the answers that cost
more or less move them the right way. The README's table, rendered at copy from the answers,
shows the command's figures."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from conftest import MATRIX, Rendered
from matrix import TEMPLATE_ROOT, SynthReport, project_module

PRICES = yaml.safe_load((TEMPLATE_ROOT / "includes" / "prices.yml").read_text())["prices"]
TABLE = PRICES["default"]


def environment_totals(variant: Rendered, report: SynthReport) -> dict[str, float]:
    assert report.outdir is not None
    module = project_module(variant.project_dir, variant.answers["package_name"], "cost")
    totals = module.totals(module.estimate(Path(report.outdir)))
    slug = variant.answers["project_slug"]
    return {stage.removeprefix(f"{slug}-"): total for stage, total in totals.items()}


@pytest.mark.variants("defaults")
def test_the_defaults_cost_what_the_price_table_adds_up_to(
    synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    p = TABLE["regions"]["us-east-1"]

    def month(price_per_hour: float) -> float:
        return price_per_hour * TABLE["hours_per_month"]

    def environment(tasks: int, vcpu: float, memory_gb: float) -> float:
        network = month(p["nat_gateway_hour"]) + month(p["public_ipv4_hour"])  # one NAT
        # The API: an internal load balancer and its Fargate tasks (autoscaling's minimum).
        api = month(p["load_balancer_hour"]) + tasks * (
            vcpu * month(p["fargate_vcpu_hour"]) + memory_gb * month(p["fargate_gb_hour"])
        )
        # The front end: a public load balancer (an address per zone) with a web ACL of three
        # rules, a t3.small with a 16 GB volume and detailed monitoring.
        frontend = (
            month(p["load_balancer_hour"])
            + 2 * month(p["public_ipv4_hour"])
            + p["web_acl_month"]
            + 3 * p["web_acl_rule_month"]
            + month(p["instance_hour"]["t3.small"])
            + 16 * p["ebs_gp3_gb_month"]
            + p["detailed_monitoring_instance_month"]
        )
        # Monitoring: 5 API alarms, 3 pipeline, 3 front end, 1 NAT; a dashboard; the topic's key.
        monitoring = 12 * p["alarm_month"] + p["dashboard_month"] + p["kms_key_month"]
        return network + api + frontend + monitoring

    totals = environment_totals(rendered_variants["defaults"], synthesized["defaults"])
    assert totals == {
        "dev": pytest.approx(environment(tasks=1, vcpu=0.25, memory_gb=1), abs=0.03),
        "prod": pytest.approx(environment(tasks=2, vcpu=0.5, memory_gb=2), abs=0.03),
    }


@pytest.mark.whole_matrix  # compares variants that different shards hold
def test_no_nat_costs_less_and_three_environments_cost_more(
    synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    def totals(name: str) -> dict[str, float]:
        return environment_totals(rendered_variants[name], synthesized[name])

    # The same pipeline in prod, without and with a NAT gateway.
    assert totals("pipeline_alone_no_nat")["prod"] < totals("pipeline_one_nat")["prod"]
    defaults, three = totals("defaults"), totals("all_on")
    assert set(three) == {"dev", "staging", "prod"}
    assert sum(three.values()) > sum(defaults.values())


def readme_totals(page: str) -> dict[str, float]:
    """The total column of a page's idle-cost table, by environment: the rows that name an
    environment and end with its total in bold, found by their shape since the headings are in
    the project's language."""
    rows = re.findall(r"^\| `?(\w[\w-]*)`? \|.*\| \*\*\$([\d.,]+)\*\* \|$", page, re.M)
    return {name: float(total.replace(",", "")) for name, total in rows}


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_the_readme_shows_the_commands_figures(
    name: str, synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    variant = rendered_variants[name]
    readme = (variant.project_dir / "README.md").read_text(encoding="utf-8")
    expected = environment_totals(variant, synthesized[name])
    expected = {environment: total for environment, total in expected.items() if total}
    assert readme_totals(readme) == pytest.approx(expected, abs=0.015)
    architecture = (variant.project_dir / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert readme_totals(architecture) == readme_totals(readme)


def _help(question: str) -> str:
    documents = (TEMPLATE_ROOT / "copier.yml").read_text(encoding="utf-8").split("\n---\n")
    questions = yaml.safe_load(documents[-1])
    return " ".join(questions[question]["help"].split())


def test_the_nat_gateways_help_states_the_price_table_s_cost() -> None:
    p = TABLE["regions"]["us-east-1"]
    nat = (p["nat_gateway_hour"] + p["public_ipv4_hour"]) * TABLE["hours_per_month"]
    assert f"about ${nat:.2f} a month" in _help("nat_gateways")


@pytest.mark.variants("defaults")
def test_the_environments_help_states_the_defaults_readme_figures(
    rendered_variants: dict[str, Rendered],
) -> None:
    readme = (rendered_variants["defaults"].project_dir / "README.md").read_text(encoding="utf-8")
    totals = readme_totals(readme)
    assert f"about ${totals['dev']:.0f} a month idle (dev) and ${totals['prod']:.0f} (prod)" in (
        _help("environments")
    )


def test_the_component_pages_cost_tables_are_current() -> None:
    script = TEMPLATE_ROOT / "scripts" / "cost_tables.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
