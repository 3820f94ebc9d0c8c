"""CloudWatch Logs log groups, made the same way by every component.

Each log group keeps its logs for the days its environment's settings give (one of the periods
CloudWatch Logs accepts, ``settings.base.RETENTION_PERIODS``, which settings check), and goes
or stays with its stack by the environment's removal policy. With a compliance pack (copier's
compliance_pack answer) every log group of a stack is encrypted with one customer-managed KMS
key of that stack; without one, CloudWatch Logs encrypts them with its own key, and checkov's
check for a customer-managed key is skipped with that reason.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from ..constants import COMPLIANCE_PACK
from ..settings.base import RETENTION_PERIODS
from .scanners import skip_checkov

ENCRYPT_WITH_OWN_KEY = COMPLIANCE_PACK != "none"
_KEY_ID = "LogsKey"


def log_group(
    scope: Construct,
    construct_id: str,
    *,
    days: int,
    removal_policy: cdk.RemovalPolicy,
    name: str | None = None,
) -> logs.LogGroup:
    """A log group that keeps its logs for ``days`` (a value CloudWatch Logs accepts), named
    ``name`` where a service requires a name, else by CloudFormation."""
    group = logs.LogGroup(
        scope,
        construct_id,
        log_group_name=name,
        retention=logs.RetentionDays[RETENTION_PERIODS[days]],
        removal_policy=removal_policy,
        encryption_key=_stack_key(scope, removal_policy) if ENCRYPT_WITH_OWN_KEY else None,
    )
    if not ENCRYPT_WITH_OWN_KEY:
        skip_checkov(
            group,
            "CKV_AWS_158",
            reason="CloudWatch Logs encrypts every log group at rest with its own key. A "
            "customer-managed key costs $1 a month per stack and is used when the project "
            "chooses a compliance pack (copier's compliance_pack).",
        )
    return group


def _stack_key(scope: Construct, removal_policy: cdk.RemovalPolicy) -> kms.Key:
    """The stack's key for its log groups, created with the first of them."""
    stack = cdk.Stack.of(scope)
    existing = stack.node.try_find_child(_KEY_ID)
    if isinstance(existing, kms.Key):
        return existing
    key = kms.Key(
        stack,
        _KEY_ID,
        description=f"Encrypts the CloudWatch Logs log groups of {stack.stack_name}",
        enable_key_rotation=True,
        # Retained logs stay readable only while their key exists.
        removal_policy=removal_policy,
    )
    key.add_to_resource_policy(
        iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=[
                "kms:Encrypt*",
                "kms:Decrypt*",
                "kms:ReEncrypt*",
                "kms:GenerateDataKey*",
                "kms:Describe*",
            ],
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )
    return key
