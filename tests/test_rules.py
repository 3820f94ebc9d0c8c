"""One source per rule: what copier.yml refuses in an answer, the generated project refuses in
config/<environment>.yaml, for the same reason, both read from includes/rules.yml. Copier's
questions give the reason in English, the project in its language (docs/i18n.md)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import i18n
import pytest
import yaml
from copier.errors import CopierError

from conftest import SUPPORTED, Rendered
from matrix import TEMPLATE_ROOT, render, settings_error

RULES = yaml.safe_load((TEMPLATE_ROOT / "includes" / "rules.yml").read_text())["rules"]["default"]
ZONES = RULES["availability_zones"]
SMALLEST_WITH_NAT = f"10.2.0.0/{RULES['largest_vpc_prefix']['with_nat']}"
SMALLEST_WITHOUT_NAT = f"10.2.0.0/{RULES['largest_vpc_prefix']['without_nat']}"


def in_its_language(variant: Rendered, reason: str) -> str:
    """``reason`` as the project of ``variant`` says it: a rule's text in its language."""
    return i18n.render_extension().translate(variant.answers.get("language", "en"), reason)


# (rule, variant whose project checks the config, answers copier refuses, config values the
# project refuses, what both messages say). A config value is checked on a project whose
# answers were valid: it is what a team would write later.
CASES = [
    (
        "the API needs NAT",
        "defaults",
        {"nat_gateways": 0},
        {"network": {"nat_gateways": 0, "cidr": SMALLEST_WITHOUT_NAT}},
        RULES["needs_nat"]["api"],
    ),
    (
        "Fargate training needs NAT",
        "pipeline_alone_no_nat",
        {
            "nat_gateways": 0,
            "with_api": False,
            "with_frontend": False,
            "training_compute": "fargate",
        },
        {"pipeline": {"training_compute": "fargate"}},
        RULES["needs_nat"]["fargate_training"],
    ),
    (
        "SageMaker training needs NAT",
        "pipeline_alone_no_nat",
        {
            "nat_gateways": 0,
            "with_api": False,
            "with_frontend": False,
            "training_compute": "sagemaker",
        },
        {"pipeline": {"training_compute": "sagemaker"}},
        RULES["needs_nat"]["sagemaker_training"],
    ),
    (
        "schedule syntax",
        "defaults",
        {"pipeline_schedule": "every day"},
        {"pipeline": {"schedule": "every day"}},
        RULES["schedule_syntax"],
    ),
    (
        "a cron schedule's day fields",
        "defaults",
        {"pipeline_schedule": "cron(0 3 * * * *)"},
        {"pipeline": {"schedule": "cron(0 3 * * * *)"}},
        RULES["schedule_cron_question_mark"],
    ),
    (
        "longest wait",
        "defaults",
        {"pipeline_wait_seconds": RULES["pipeline_wait_seconds_max"] + 1},
        {"pipeline": {"wait_seconds": RULES["pipeline_wait_seconds_max"] + 1}},
        str(RULES["pipeline_wait_seconds_max"]),
    ),
    (
        "domain name syntax",
        "defaults",
        {"domain_name": "API.example.org"},
        {"api": {"domain_name": "API.example.org"}},
        RULES["domain_name_syntax"],
    ),
    (
        "hosted zone ID syntax",
        "defaults",
        {"domain_name": "api.example.org", "hosted_zone_id": "Y123456"},
        {"dns": {"hosted_zone_id": "Y123456", "hosted_zone_name": "example.org"}},
        RULES["hosted_zone_id_syntax"],
    ),
    (
        "commercial regions only",
        "defaults",
        {"aws_region": "cn-north-1"},
        {"region": "cn-north-1"},
        "not a commercial AWS region code",
    ),
    (
        "account ID",
        "defaults",
        {"aws_account_id": "12345"},
        {"account": "12345"},
        "12 digits",
    ),
    (
        "one NAT gateway per zone at most",
        "defaults",
        {"nat_gateways": ZONES + 1},
        {"network": {"nat_gateways": ZONES + 1}},
        None,  # copier's choices refuse the answer; the settings name the limit
    ),
]


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """The variants whose config files the cases change, rendered once."""
    root = tmp_path_factory.mktemp("rules")
    return {
        name: Rendered(name, root / name, render(SUPPORTED[name], root / name, tasks=False))
        for name in ("defaults", "pipeline_alone_no_nat")
    }


def copier_error(answers: dict[str, Any], destination: Path) -> str:
    with pytest.raises((CopierError, ValueError)) as refused:
        render(answers, destination, tasks=False)
    assert not destination.exists() or not any(destination.iterdir()), "files were written"
    return str(refused.value)


def config_error(variant: Rendered, values: dict[str, Any], tmp_path: Path) -> str | None:
    config_dir = tmp_path / "config"
    shutil.copytree(variant.project_dir / "config", config_dir)
    environment = variant.answers["environments"][0]
    path = config_dir / f"{environment}.yaml"
    path.write_text(path.read_text() + yaml.safe_dump(values))
    return settings_error(
        variant.project_dir, variant.answers["package_name"], environment, config_dir
    )


@pytest.mark.parametrize(
    ("variant", "answers", "config", "reason"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_an_answer_and_a_config_value_are_refused_for_the_same_reason(
    projects: dict[str, Rendered],
    tmp_path: Path,
    variant: str,
    answers: dict[str, Any],
    config: dict[str, Any],
    reason: str | None,
) -> None:
    from_copier = copier_error(answers, tmp_path / "project")
    from_config = config_error(projects[variant], config, tmp_path)
    assert from_config is not None, f"the project accepted {config}"
    assert "config/" in from_config or ".yaml" in from_config
    assert "Traceback" not in from_config
    if reason is None:
        assert f"less than or equal to {ZONES}" in from_config
        return
    assert reason in " ".join(from_copier.split()), from_copier
    assert in_its_language(projects[variant], reason) in from_config, from_config


@pytest.mark.parametrize(
    ("cidr", "nat_gateways", "accepted"),
    [
        (SMALLEST_WITH_NAT, 1, True),
        (f"10.2.0.0/{RULES['largest_vpc_prefix']['with_nat'] + 1}", 1, False),
        (SMALLEST_WITHOUT_NAT, 0, True),
        ("10.2.0.0/24", 0, False),
    ],
)
def test_a_vpc_range_must_hold_the_subnets(
    projects: dict[str, Rendered],
    tmp_path: Path,
    cidr: str,
    nat_gateways: int,
    accepted: bool,
) -> None:
    variant = projects["pipeline_alone_no_nat"]
    error = config_error(
        variant, {"network": {"cidr": cidr, "nat_gateways": nat_gateways}}, tmp_path
    )
    if accepted:
        assert error is None
    else:
        # Too small: the smallest range that holds the subnets is suggested.
        smallest = SMALLEST_WITH_NAT if nat_gateways else SMALLEST_WITHOUT_NAT
        assert error is not None and "network.cidr: " in error
        assert smallest in error.split("network.cidr: ")[1], error
