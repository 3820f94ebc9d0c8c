"""Exceptions to the template scanners that security reviewers run on cdk.out, declared beside
the constructs they concern, each with its reason.

checkov (``checkov --framework cloudformation -d cdk.out``) and cfn-lint read exceptions from a
resource's ``Metadata`` in the template: ``checkov: {skip: [{id, comment}]}`` and
``cfn-lint: {config: {ignore_checks: [...]}}``. These helpers write them, one check at a time,
always with a reason; cfn-lint's reasons sit beside its config under ``reasons``.

CDK's own custom-resource handlers (the Lambda functions behind ``autoDeleteObjects`` and the
VPC's default security group restriction) are created inside aws-cdk-lib, out of reach of the
code that asks for them; ``skip_cdk_handlers``, which the app calls once it is built, gives
them their skips.
"""

from __future__ import annotations

import aws_cdk as cdk
from constructs import IConstruct


def _resource(construct: IConstruct) -> cdk.CfnResource:
    """The CloudFormation resource of ``construct``: itself, or its default child."""
    if isinstance(construct, cdk.CfnResource):
        return construct
    child = construct.node.default_child
    if not isinstance(child, cdk.CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource of its own")
    return child


def skip_checkov(construct: IConstruct, check_id: str, *, reason: str) -> None:
    """Skip one checkov check (e.g. "CKV_AWS_158") on the resource of ``construct``."""
    resource = _resource(construct)
    metadata = resource.get_metadata("checkov") or {}
    skips = [*metadata.get("skip", []), {"id": check_id, "comment": reason}]
    resource.add_metadata("checkov", {**metadata, "skip": skips})


def ignore_cfn_lint(construct: IConstruct, rule_id: str, *, reason: str) -> None:
    """Ignore one cfn-lint rule (e.g. "W3010") on the resource of ``construct``."""
    resource = _resource(construct)
    metadata = resource.get_metadata("cfn-lint") or {}
    config = metadata.get("config", {})
    resource.add_metadata(
        "cfn-lint",
        {
            **metadata,
            "config": {**config, "ignore_checks": [*config.get("ignore_checks", []), rule_id]},
            "reasons": {**metadata.get("reasons", {}), rule_id: reason},
        },
    )


_HANDLER_REASONS = {
    "CKV_AWS_115": "A CDK custom-resource handler runs only while CloudFormation deploys the "
    "stack, one event at a time; reserving concurrency for it would take capacity from the "
    "account's functions for nothing.",
    "CKV_AWS_116": "CloudFormation invokes this CDK custom-resource handler synchronously and "
    "reports its failure as the deploy's failure; a dead-letter queue would never receive an "
    "event.",
    "CKV_AWS_117": "This CDK custom-resource handler calls only AWS APIs (S3, EC2) during a "
    "deploy and reads no data of a network; in a VPC it would need NAT or endpoints to work.",
}
# The handlers' providers, by construct ID: what each handler does, for the reviewer.
CDK_HANDLER_PROVIDERS = {
    "Custom::S3AutoDeleteObjectsCustomResourceProvider": "empties a bucket before CloudFormation "
    "deletes it (destroy_on_delete: true)",
    "Custom::VpcRestrictDefaultSGCustomResourceProvider": "removes every rule of the VPC's "
    "default security group",
}


def skip_cdk_handlers(app: cdk.App) -> None:
    """Give the Lambda functions of CDK's own custom-resource providers (listed in
    ``CDK_HANDLER_PROVIDERS``) their checkov skips. A handler of another provider gets none,
    so checkov reports it until someone reviews it and lists it here.

    CDK creates each provider once per stack, as a child of the stack, with the handler as its
    child "Handler": looking them up costs a few calls per stack, where an aspect would call
    back into Python for every construct of the app (a fifth of a large app's synth).
    """
    for stack in _stacks(app):
        for provider_id, purpose in CDK_HANDLER_PROVIDERS.items():
            provider = stack.node.try_find_child(provider_id)
            handler = provider.node.try_find_child("Handler") if provider else None
            if not isinstance(handler, cdk.CfnResource):
                continue
            for check_id, reason in _HANDLER_REASONS.items():
                skip_checkov(
                    handler, check_id, reason=f"aws-cdk-lib's handler that {purpose}. {reason}"
                )


def _stacks(scope: IConstruct) -> list[cdk.Stack]:
    """The stacks of ``scope``, inside its stages too (not the constructs inside a stack)."""
    stacks = []
    for child in scope.node.children:
        if isinstance(child, cdk.Stack):
            stacks.append(child)
        elif isinstance(child, cdk.Stage):
            stacks.extend(_stacks(child))
    return stacks
