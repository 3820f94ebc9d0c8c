"""GitHub Actions' way into the account: GitHub's OIDC identity provider and one deploy role
per environment, each of which may only hand the work on to its environment's CDK bootstrap
roles."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from ..compliance.nag import acknowledge_compliance

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
# The roles `cdk bootstrap` creates; `cdk deploy` assumes them and does everything through them.
BOOTSTRAP_ROLES = ("deploy", "file-publishing", "image-publishing", "lookup")


@dataclass(frozen=True)
class BootstrapTarget:
    """Where an environment deploys: its account ("" for this stack's own), its region and the
    qualifier of its CDK bootstrap."""

    account: str
    region: str
    qualifier: str


class CiAccess(cdk.Stack):
    """Creates GitHub's OIDC identity provider and a deploy role for each environment, and
    exposes the roles as ``deploy_roles`` by environment name (each ARN is also an output,
    ``DeployRoleArn<Environment>``).

    Only a workflow job of ``repository`` that runs in the GitHub environment of the same name
    (``environment: prod``) may assume an environment's role, so the approval rules of that
    GitHub environment guard the AWS environment too. A role may do one thing: assume the CDK
    bootstrap roles of its environment: that environment's account, region and bootstrap
    qualifier, so that no environment's role reaches another's bootstrap, also where they share
    an account. CloudFormation, through that bootstrap's execution role, makes the changes; the
    deploy role holds no other permission.

    An account has one GitHub provider, shared by every repository that deploys to it. The
    stack creates it unless it is deployed with the parameter ``CreateGitHubOidcProvider`` set
    to ``false`` (the account has one already); it keeps the provider when it is deleted.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repository: str,
        targets: Mapping[str, BootstrapTarget],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)

        create_provider = cdk.CfnParameter(
            self,
            "CreateGitHubOidcProvider",
            type="String",
            allowed_values=["true", "false"],
            default="true",
            description=f"false when the account has the identity provider {GITHUB_OIDC_HOST}",
        )
        creates_provider = cdk.CfnCondition(
            self,
            "CreatesGitHubOidcProvider",
            expression=cdk.Fn.condition_equals(create_provider.value_as_string, "true"),
        )
        provider = iam.CfnOIDCProvider(
            self,
            "GitHubOidcProvider",
            url=f"https://{GITHUB_OIDC_HOST}",
            client_id_list=["sts.amazonaws.com"],
        )
        provider.cfn_options.condition = creates_provider
        # Other repositories of the account may trust the provider too: it outlives the stack.
        provider.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
        # The provider's ARN is known either way; referring to the resource when the stack
        # creates it makes CloudFormation create it before the roles that trust it.
        provider_arn = cdk.Token.as_string(
            cdk.Fn.condition_if(
                creates_provider.logical_id,
                provider.attr_arn,
                self.format_arn(
                    service="iam",
                    region="",
                    resource="oidc-provider",
                    resource_name=GITHUB_OIDC_HOST,
                ),
            )
        )

        self.deploy_roles: dict[str, iam.Role] = {}
        for environment, target in targets.items():
            name = "".join(part.capitalize() for part in environment.split("-"))
            role = iam.Role(
                self,
                f"DeployRole{name}",
                description=f"GitHub Actions deploys {environment} of {repository} with this role",
                assumed_by=iam.WebIdentityPrincipal(
                    provider_arn,
                    conditions={
                        "StringEquals": {
                            f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com",
                            f"{GITHUB_OIDC_HOST}:sub": (
                                f"repo:{repository}:environment:{environment}"
                            ),
                        }
                    },
                ),
                max_session_duration=cdk.Duration.hours(1),
            )
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["sts:AssumeRole"],
                    resources=[bootstrap_role_arn(self, target, kind) for kind in BOOTSTRAP_ROLES],
                )
            )
            acknowledge_compliance(
                role,
                "IAMNoInlinePolicy",
                reason="The role's one statement, sts:AssumeRole on its environment's own CDK "
                "bootstrap roles, lives and goes with the role and can be attached to no "
                "other principal.",
            )
            self.deploy_roles[environment] = role
            cdk.CfnOutput(
                self,
                f"DeployRoleArn{name}",
                value=role.role_arn,
                description=f"AWS_DEPLOY_ROLE_ARN of the GitHub environment {environment}",
            )


def bootstrap_role_arn(stack: cdk.Stack, target: BootstrapTarget, kind: str) -> str:
    """The ARN of one of the roles `cdk bootstrap --qualifier` made for ``target``."""
    account = target.account or stack.account
    return stack.format_arn(
        service="iam",
        region="",
        account=account,
        resource="role",
        resource_name=f"cdk-{target.qualifier}-{kind}-role-{account}-{target.region}",
    )
