"""GitHub Actions' deploy roles (the ci_access stack, present when github_repository is given):
trusted by one repository's jobs in one GitHub environment each, allowed nothing but the CDK
bootstrap roles, never an administrator policy."""

from __future__ import annotations

import json

import pytest

from conftest import MATRIX, SUPPORTED, Rendered
from matrix import SynthReport

OIDC = "token.actions.githubusercontent.com"
WITH_REPOSITORY = sorted(name for name, answers in MATRIX.items() if "github_repository" in answers)
WITHOUT_REPOSITORY = sorted(set(MATRIX) - set(WITH_REPOSITORY))


def test_some_variants_have_a_repository_and_some_do_not() -> None:
    with_repository = {name for name, a in SUPPORTED.items() if "github_repository" in a}
    assert with_repository and set(SUPPORTED) - with_repository


@pytest.mark.parametrize("name", WITHOUT_REPOSITORY, ids=str)
def test_no_repository_no_ci_access_stack(
    name: str, synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    assert not any("-ci-access" in stack for stack in synthesized[name].stacks)
    assert not (rendered_variants[name].package_dir / "ci_access").exists()


@pytest.mark.parametrize("name", WITH_REPOSITORY, ids=str)
def test_one_role_per_environment_for_that_repository_and_github_environment(
    name: str, synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    answers = rendered_variants[name].answers
    stack = synthesized[name].stacks[f"{answers['project_slug']}-ci-access/CiAccess"]
    subjects = []
    for role in stack.resources("AWS::IAM::Role").values():
        assert "ManagedPolicyArns" not in role["Properties"]
        (statement,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert "Federated" in statement["Principal"]
        conditions = statement["Condition"]["StringEquals"]
        assert conditions[f"{OIDC}:aud"] == "sts.amazonaws.com"
        subjects.append(conditions[f"{OIDC}:sub"])
    repository = answers["github_repository"]
    assert sorted(subjects) == sorted(
        f"repo:{repository}:environment:{environment}" for environment in answers["environments"]
    )


@pytest.mark.parametrize("name", WITH_REPOSITORY, ids=str)
def test_roles_may_only_assume_the_bootstrap_roles(
    name: str, synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    answers = rendered_variants[name].answers
    stack = synthesized[name].stacks[f"{answers['project_slug']}-ci-access/CiAccess"]
    policies = stack.resources("AWS::IAM::Policy").values()
    assert len(policies) == len(answers["environments"])
    for policy in policies:
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Action"] == "sts:AssumeRole"
        resources = json.dumps(statement["Resource"])
        assert "*" not in resources
        for kind in ("deploy", "file-publishing", "image-publishing", "lookup"):
            assert f":role/cdk-hnb659fds-{kind}-role-" in resources
        assert f"-{answers['aws_region']}" in resources
        if answers["aws_account_id"]:
            assert answers["aws_account_id"] in resources
    (provider,) = stack.resources("AWS::IAM::OIDCProvider").values()
    assert provider["Properties"]["Url"] == f"https://{OIDC}"
    # Created unless the account has one (a parameter), and kept when the stack goes.
    assert provider["Condition"] and provider["DeletionPolicy"] == "Retain"
