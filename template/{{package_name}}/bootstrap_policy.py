"""The CloudFormation execution policy of an environment's CDK bootstrap, derived from the
resource types its synthesized stacks contain: what CloudFormation may do when it deploys them.

`cdk bootstrap` gives CloudFormation AdministratorAccess unless told otherwise. This policy
allows instead the services of the environment's resources, and IAM only on the roles tagged
with the project and the environment and on the managed policies under its path. Print it
after a synth, and bootstrap with it (README.md, "Deploy"):

    uv run npx cdk synth --quiet
    uv run python -m <package>.bootstrap_policy dev > dev-execution-policy.json

A resource type the table below does not know stops the command: review what the new type
needs, and add it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .cloud_assembly import read_stacks
from .constants import PROJECT_SLUG, bootstrap_qualifier, iam_path, stage_name

# The IAM actions CloudFormation needs for the resources of a service, by the prefix of their
# CloudFormation type. IAM's own types are not here: their statements name tagged roles only.
SERVICE_ACTIONS: dict[str, list[str]] = {
    "AWS::ApiGateway": ["apigateway:*"],
    "AWS::ApiGatewayV2": ["apigateway:*"],
    "AWS::ApplicationAutoScaling": [
        "application-autoscaling:*",
        "cloudwatch:DeleteAlarms",
        "cloudwatch:DescribeAlarms",
        "cloudwatch:PutMetricAlarm",
    ],
    "AWS::Athena": ["athena:*"],
    "AWS::AutoScaling": ["autoscaling:*"],
    "AWS::Budgets": ["budgets:*"],
    "AWS::CDK": [],  # CDK's metadata: no call to any service
    "AWS::CertificateManager": ["acm:*"],
    "AWS::CloudFront": ["cloudfront:*"],
    "AWS::CloudWatch": ["cloudwatch:*"],
    "AWS::EC2": ["ec2:*"],
    "AWS::ECR": ["ecr:*"],
    "AWS::ECS": ["ecs:*"],
    "AWS::ElasticLoadBalancingV2": ["elasticloadbalancing:*"],
    "AWS::Events": ["events:*"],
    "AWS::Glue": ["glue:*"],
    "AWS::KMS": ["kms:*"],
    # A function's image is pulled from the bootstrap's repository when it is created.
    "AWS::Lambda": [
        "lambda:*",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
        "ecr:GetRepositoryPolicy",
        "ecr:SetRepositoryPolicy",
    ],
    "AWS::Logs": ["logs:*"],
    "AWS::Route53": ["route53:*"],
    "AWS::S3": ["s3:*"],
    "AWS::Scheduler": ["scheduler:*"],
    "AWS::ServiceDiscovery": ["servicediscovery:*"],
    "AWS::SNS": ["sns:*"],
    "AWS::SQS": ["sqs:*"],
    "AWS::SSM": ["ssm:*"],
    "AWS::StepFunctions": ["states:*"],
    "AWS::WAFv2": ["wafv2:*"],
}
# IAM's types, each allowed through the statements below.
IAM_TYPES = (
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::InstanceProfile",
    "AWS::IAM::ManagedPolicy",
)
# A custom resource is a call to its provider's function.
CUSTOM_RESOURCE_ACTIONS = ["lambda:InvokeFunction"]
# What CloudFormation does to a role (and its inline policies) of the environment.
ROLE_ACTIONS = [
    "iam:AttachRolePolicy",
    "iam:DeleteRole",
    "iam:DeleteRolePolicy",
    "iam:DetachRolePolicy",
    "iam:GetRole",
    "iam:GetRolePolicy",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:ListRoleTags",
    "iam:PassRole",
    "iam:PutRolePolicy",
    "iam:TagRole",
    "iam:UntagRole",
    "iam:UpdateAssumeRolePolicy",
    "iam:UpdateRole",
    "iam:UpdateRoleDescription",
]
# What CloudFormation does to a managed policy of the environment (under its IAM path).
MANAGED_POLICY_ACTIONS = [
    "iam:CreatePolicy",
    "iam:CreatePolicyVersion",
    "iam:DeletePolicy",
    "iam:DeletePolicyVersion",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "iam:ListEntitiesForPolicy",
    "iam:ListPolicyVersions",
]
INSTANCE_PROFILE_ACTIONS = [
    "iam:AddRoleToInstanceProfile",
    "iam:CreateInstanceProfile",
    "iam:DeleteInstanceProfile",
    "iam:GetInstanceProfile",
    "iam:RemoveRoleFromInstanceProfile",
]


class UnknownResourceType(ValueError):
    """A resource type whose actions the table does not list."""


def actions_for(resource_type: str) -> list[str]:
    """The actions CloudFormation needs for one resource type (IAM's: see the statements)."""
    if (
        resource_type.startswith("Custom::")
        or resource_type == "AWS::CloudFormation::CustomResource"
    ):
        return CUSTOM_RESOURCE_ACTIONS
    if resource_type in IAM_TYPES:
        return []
    prefix = "::".join(resource_type.split("::")[:2])
    if prefix not in SERVICE_ACTIONS:
        raise UnknownResourceType(
            f"{resource_type}: the bootstrap's execution policy does not know this type; add "
            f"what CloudFormation needs for it to SERVICE_ACTIONS in {__name__}"
        )
    return SERVICE_ACTIONS[prefix]


def resource_types(cloud_assembly: Path, environment: str) -> set[str]:
    """The resource types of every stack of ``environment`` in a synthesized cloud assembly."""
    return {
        resource["Type"]
        for stack in read_stacks(cloud_assembly, stage_name(environment))
        for resource in stack.template.get("Resources", {}).values()
    }


def execution_policy(environment: str, types: Iterable[str]) -> dict[str, Any]:
    """The policy document for ``environment``'s bootstrap, given its stacks' resource types."""
    types = set(types)
    actions = {action for kind in types for action in actions_for(kind)}
    # An action a service's wildcard holds already is left out: lambda:InvokeFunction beside
    # lambda:*.
    services = sorted(
        action
        for action in actions
        if action.endswith(":*") or f"{action.split(':')[0]}:*" not in actions
    )
    tags = {"project": PROJECT_SLUG, "environment": environment}
    statements: list[dict[str, Any]] = [
        {
            "Sid": "TheServicesOfTheEnvironmentsResources",
            "Effect": "Allow",
            "Action": services,
            "Resource": "*",
        },
        {
            "Sid": "ReadTheBootstrapVersion",
            "Effect": "Allow",
            "Action": ["ssm:GetParameters"],
            "Resource": (
                f"arn:aws:ssm:*:*:parameter/cdk-bootstrap/{bootstrap_qualifier(environment)}/*"
            ),
        },
    ]
    if types & set(IAM_TYPES):
        statements += [
            {
                "Sid": "CreateRolesTaggedWithTheEnvironment",
                "Effect": "Allow",
                "Action": ["iam:CreateRole", "iam:TagRole"],
                "Resource": "arn:aws:iam::*:role/*",
                "Condition": {
                    "StringEquals": {f"aws:RequestTag/{key}": value for key, value in tags.items()}
                },
            },
            {
                "Sid": "ChangeRolesTaggedWithTheEnvironment",
                "Effect": "Allow",
                "Action": ROLE_ACTIONS,
                "Resource": "arn:aws:iam::*:role/*",
                "Condition": {
                    "StringEquals": {f"aws:ResourceTag/{key}": value for key, value in tags.items()}
                },
            },
            {
                "Sid": "ServiceLinkedRoles",
                "Effect": "Allow",
                "Action": ["iam:CreateServiceLinkedRole"],
                "Resource": "arn:aws:iam::*:role/aws-service-role/*",
            },
        ]
    if "AWS::IAM::ManagedPolicy" in types:
        # A managed policy outside the path (one a person or another environment attached
        # somewhere) stays out of reach; its stacks' own carry the path (constants.iam_path).
        statements.append(
            {
                "Sid": "ManagedPoliciesUnderTheEnvironmentsPath",
                "Effect": "Allow",
                "Action": MANAGED_POLICY_ACTIONS,
                "Resource": f"arn:aws:iam::*:policy{iam_path(environment)}*",
            }
        )
    if "AWS::IAM::InstanceProfile" in types:
        # An instance profile carries no permission of its own; adding a role to it needs
        # iam:PassRole on that role, which only the environment's roles allow.
        statements.append(
            {
                "Sid": "InstanceProfiles",
                "Effect": "Allow",
                "Action": INSTANCE_PROFILE_ACTIONS,
                "Resource": "arn:aws:iam::*:instance-profile/*",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog=f"python -m {__name__}",
        description="Print the CloudFormation execution policy of an environment's CDK "
        "bootstrap, from the resource types of its synthesized stacks.",
    )
    parser.add_argument("environment", help="an environment of config/, e.g. dev")
    parser.add_argument(
        "--cdk-out", type=Path, default=Path("cdk.out"), help="the synthesized cloud assembly"
    )
    arguments = parser.parse_args(argv)
    try:
        types = resource_types(arguments.cdk_out, arguments.environment)
        policy = execution_policy(arguments.environment, types)
    except FileNotFoundError as error:
        sys.exit(f"{error.filename}: not found; synthesize first (uv run npx cdk synth --quiet)")
    except UnknownResourceType as error:
        sys.exit(str(error))
    print(json.dumps(policy, indent=2))


if __name__ == "__main__":
    main()
