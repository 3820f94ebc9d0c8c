"""GitHub Actions' deploy roles (the ci_access stack, present when github_repository is given):
trusted by one repository's jobs in one GitHub environment each, allowed nothing but their own
environment's CDK bootstrap roles, never an administrator policy. Each environment is a trust
boundary: in a shared account no role reaches another environment's bootstrap; with an account
per environment each role targets its own account."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from conftest import MATRIX, SUPPORTED, Rendered
from matrix import SynthReport

OIDC = "token.actions.githubusercontent.com"
WITH_REPOSITORY = sorted(name for name, answers in MATRIX.items() if "github_repository" in answers)
WITHOUT_REPOSITORY = sorted(set(MATRIX) - set(WITH_REPOSITORY))
BOOTSTRAP_ROLES = ("deploy", "file-publishing", "image-publishing", "lookup")
ROLE_ARN = re.compile(r":role/cdk-(?P<qualifier>[a-z0-9]{1,10})-(?P<kind>[a-z-]+)-role-")


def ci_access_stacks(report: SynthReport) -> dict[str, Any]:
    return {name: stack for name, stack in report.stacks.items() if "-ci-access" in name}


def qualifiers_of_stages(report: SynthReport, answers: dict[str, Any]) -> dict[str, str]:
    """The bootstrap qualifier each environment's stacks deploy with (their version check)."""
    qualifiers = {}
    for environment in answers["environments"]:
        found = {
            re.search(r"/cdk-bootstrap/([^/]+)/version", json.dumps(stack.template))[1]
            for name, stack in report.stacks.items()
            if name.startswith(f"{answers['project_slug']}-{environment}/")
        }
        (qualifiers[environment],) = found
    return qualifiers


def assumable_roles(stack: Any) -> dict[str, str]:
    """Each deploy role's GitHub environment, by the role's logical ID."""
    return {
        logical_id: role["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Condition"][
            "StringEquals"
        ][f"{OIDC}:sub"].rsplit(":", 1)[1]
        for logical_id, role in stack.resources("AWS::IAM::Role").items()
    }


def assumed_resources(stack: Any) -> dict[str, list[str]]:
    """What each deploy role may assume, by its GitHub environment: the flattened ARNs."""
    environments = assumable_roles(stack)
    result = {}
    for policy in stack.resources("AWS::IAM::Policy").values():
        ((role,),) = [[r["Ref"] for r in policy["Properties"]["Roles"]]]
        (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Action"] == "sts:AssumeRole"
        result[environments[role]] = [_flat(arn) for arn in statement["Resource"]]
    return result


def _flat(value: Any) -> str:
    if isinstance(value, str):
        return value
    if "Fn::Join" in value:
        delimiter, items = value["Fn::Join"]
        return delimiter.join(_flat(item) for item in items)
    if "Ref" in value:
        return "${" + value["Ref"] + "}"
    return json.dumps(value)


def account_of(answers: dict[str, Any], environment: str) -> str:
    return answers["environment_accounts"][environment]


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
    subjects = []
    for stack in ci_access_stacks(synthesized[name]).values():
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
def test_roles_may_only_assume_their_own_environments_bootstrap_roles(
    name: str, synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    answers = rendered_variants[name].answers
    report = synthesized[name]
    qualifiers = qualifiers_of_stages(report, answers)
    # Each environment deploys through a bootstrap of its own, in a shared account too.
    assert len(set(qualifiers.values())) == len(qualifiers)
    reached: dict[str, list[str]] = {}
    for stack in ci_access_stacks(report).values():
        reached.update(assumed_resources(stack))
        (provider,) = stack.resources("AWS::IAM::OIDCProvider").values()
        assert provider["Properties"]["Url"] == f"https://{OIDC}"
        # Created unless the account has one (a parameter), and kept when the stack goes.
        assert provider["Condition"] and provider["DeletionPolicy"] == "Retain"
    assert sorted(reached) == sorted(answers["environments"])
    for environment, arns in reached.items():
        assert "*" not in "".join(arns)
        found = [ROLE_ARN.search(arn) for arn in arns]
        assert all(found), arns
        # Its own qualifier only: no other environment's bootstrap roles.
        assert {match["qualifier"] for match in found} == {qualifiers[environment]}
        assert sorted(match["kind"] for match in found) == sorted(BOOTSTRAP_ROLES)
        account = account_of(answers, environment)
        for arn in arns:
            assert arn.endswith(f"-{answers['aws_region']}")
            if account:
                assert f":{account}:role/" in arn and f"-{account}-" in arn, arn


@pytest.mark.variants("all_on")
def test_in_a_shared_account_no_deploy_role_reaches_another_environments_bootstrap(
    synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    answers = rendered_variants["all_on"].answers
    assert answers["account_layout"] == "shared" and len(answers["environments"]) == 3
    report = synthesized["all_on"]
    (stack,) = ci_access_stacks(report).values()
    qualifiers = qualifiers_of_stages(report, answers)
    for environment, arns in assumed_resources(stack).items():
        for other, qualifier in qualifiers.items():
            if other != environment:
                assert not any(f"cdk-{qualifier}-" in arn for arn in arns), (environment, other)


@pytest.mark.variants("frontend_without_pipeline")
def test_with_an_account_per_environment_each_role_targets_its_own_account(
    synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    answers = rendered_variants["frontend_without_pipeline"].answers
    assert answers["account_layout"] == "per_environment"
    stacks = ci_access_stacks(synthesized["frontend_without_pipeline"])
    # One ci-access stage per account, holding only that account's environment's role.
    assert len(stacks) == len(answers["environments"])
    for name, stack in stacks.items():
        (environment, arns), *others = assumed_resources(stack).items()
        assert not others
        account = account_of(answers, environment)
        assert f"-ci-access-{account}/" in name
        assert all(f"arn:aws:iam::{account}:role/" in arn for arn in arns), arns


@pytest.mark.variants("all_on")
def test_the_bootstrap_commands_name_the_qualifiers_the_stacks_deploy_with(
    synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    variant = rendered_variants["all_on"]
    qualifiers = qualifiers_of_stages(synthesized["all_on"], variant.answers)
    readme = (variant.project_dir / "README.md").read_text(encoding="utf-8")
    deploy = (variant.project_dir / ".github/workflows/deploy.yml").read_text(encoding="utf-8")
    for environment, qualifier in qualifiers.items():
        assert f"--qualifier {qualifier} " in readme, environment
        assert f"--toolkit-stack-name CDKToolkit-{qualifier}" in deploy, environment
        # Each environment's bootstrap gets the policy derived from its own stacks.
        assert f"bootstrap_policy {environment} > {environment}-execution-policy.json" in readme
    # No command falls back to AdministratorAccess (the prose names it as what is replaced).
    commands = "\n".join(re.findall(r"^ *```bash\n(.*?)^ *```$", readme, re.M | re.S))
    assert "--cloudformation-execution-policies" in commands
    assert "AdministratorAccess" not in commands
