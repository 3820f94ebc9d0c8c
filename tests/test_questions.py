"""copier copy asks sensible questions: defaults work, bad answers are refused by name and
nothing is written."""

from __future__ import annotations

from typing import Any

import pytest

from conftest import UNSUPPORTED

BAD_ANSWERS = [
    # (answers, the question named in the error, part of the message)
    ({"project_name": "   "}, "project_name", "give the project a name"),
    ({"project_name": 'Team "A"'}, "project_name", "leave out double quotes"),
    ({"project_slug": "Bad Slug"}, "project_slug", "lowercase letters, digits and dashes"),
    ({"project_slug": "ab"}, "project_slug", "3 to 40"),
    ({"project_slug": "9lives"}, "project_slug", "starting with a letter"),
    ({"project_slug": "a" * 41}, "project_slug", "3 to 40"),
    ({"project_slug": "trailing-"}, "project_slug", "ending with a letter or a digit"),
    ({"project_slug": "two--dashes"}, "project_slug", "two dashes"),
    ({"package_name": "class"}, "package_name", "is a Python keyword"),
    ({"package_name": "1st_place"}, "package_name", "starting with a letter"),
    ({"package_name": "my-package"}, "package_name", "underscores"),
    ({"package_name": "app"}, "package_name", "already used"),
    ({"description": "two\nlines"}, "description", "one line"),
    ({"author_email": "not-an-address"}, "author_email", "e-mail address"),
    ({"aws_account_id": "12345678901"}, "aws_account_id", "exactly 12 digits (got 11"),
    ({"aws_account_id": "12345678901a"}, "aws_account_id", "exactly 12 digits"),
    (
        {"account_layout": "per_environment", "dev_account_id": "123"},
        "dev_account_id",
        "exactly 12 digits (got 3",
    ),
    (
        {
            "account_layout": "per_environment",
            "dev_account_id": "1" * 12,
            "prod_account_id": "1" * 12,
        },
        "prod_account_id",
        "an account of its own, not dev's",
    ),
    ({"aws_region": "us-east-7"}, "aws_region", "not a commercial AWS region"),
    ({"aws_region": "cn-north-1"}, "aws_region", "not a commercial AWS region"),
    ({"environments": []}, "environments", "at least one environment"),
    ({"python_version": "3.10"}, "python_version", ""),
    ({"nat_gateways": 3}, "nat_gateways", ""),
    ({"pipeline_wait_seconds": 86401}, "pipeline_wait_seconds", "0 to 86400 seconds"),
    ({"pipeline_wait_seconds": -1}, "pipeline_wait_seconds", "0 to 86400 seconds"),
    ({"pipeline_schedule": "rate(1 days)"}, "pipeline_schedule", "day when n is 1"),
    ({"pipeline_schedule": "rate(0 minutes)"}, "pipeline_schedule", "use rate(<n> <unit>)"),
    ({"pipeline_schedule": "daily"}, "pipeline_schedule", "use rate(<n> <unit>)"),
    ({"pipeline_schedule": "cron(0 3 * *)"}, "pipeline_schedule", "use rate(<n> <unit>)"),
    ({"pipeline_schedule": "cron(0 3 * * * *)"}, "pipeline_schedule", "needs ? as its day"),
    ({"training_compute": "gpu"}, "training_compute", ""),
    ({"frontend_instance_type": "t3.48xlarge"}, "frontend_instance_type", "t3 instances come in"),
    ({"frontend_instance_type": "m5.nano"}, "frontend_instance_type", 'not "nano"'),
    ({"frontend_instance_type": "t3small"}, "frontend_instance_type", "<family>.<size>"),
    ({"frontend_instance_type": "x9.large"}, "frontend_instance_type", "not an instance family"),
    ({"frontend_instance_type": "T3.SMALL"}, "frontend_instance_type", "not an instance family"),
    ({"github_repository": "https://github.com/org/repo"}, "github_repository", "owner/name"),
    ({"github_repository": "datathon-platform"}, "github_repository", "owner/name"),
    ({"github_repository": "my_org/repo"}, "github_repository", "dashes for the owner"),
    ({"github_repository": "org/repo.git"}, "github_repository", "without a .git ending"),
]


def assert_refused(copie: Any, answers: dict[str, Any], question: str, message: str) -> None:
    result = copie.copy(extra_answers=answers)
    assert result.exit_code != 0, f"{answers} was accepted"
    error = str(result.exception)
    assert f"question '{question}'" in error or question in error, error
    assert message in error, error
    # Nothing is written on bad input.
    destination = copie.test_dir / f"copie{copie.counter - 1:03d}"
    assert list(destination.iterdir()) == []


@pytest.mark.parametrize(
    ("answers", "question", "message"), BAD_ANSWERS, ids=[str(a[0]) for a in BAD_ANSWERS]
)
def test_bad_answer_is_refused(copie: Any, answers: dict, question: str, message: str) -> None:
    assert_refused(copie, answers, question, message)


@pytest.mark.parametrize("name", sorted(UNSUPPORTED), ids=str)
def test_unsupported_combination_is_refused(copie: Any, name: str) -> None:
    variant = UNSUPPORTED[name]
    question = variant["message"].split("'")[1]
    assert_refused(copie, variant["answers"], question, variant["message"])


def test_defaults_need_no_answers(copie: Any) -> None:
    result = copie.copy()
    assert result.exception is None, result.exception
    assert result.answers["project_slug"] == "datathon-platform"
    assert result.answers["package_name"] == "datathon_platform"
    assert result.answers["environments"] == ["dev", "prod"]


def test_slug_and_package_are_derived_from_the_name(copie: Any) -> None:
    result = copie.copy(extra_answers={"project_name": "  Team 42's Model Zoo! "})
    assert result.exception is None, result.exception
    assert result.answers["project_slug"] == "team-42-s-model-zoo"
    assert result.answers["package_name"] == "team_42_s_model_zoo"


def test_a_sa_east_1_account_is_accepted(copie: Any) -> None:
    result = copie.copy(extra_answers={"aws_region": "sa-east-1", "aws_account_id": "123456789012"})
    assert result.exception is None, result.exception
    config = (result.project_dir / "config" / "dev.yaml").read_text()
    assert 'account: "123456789012"' in config and "region: sa-east-1" in config
