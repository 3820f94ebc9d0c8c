"""cdk-nag acknowledgements that depend on references, declared beside their constructs.

Most findings are acknowledged directly, with
``cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=..., reason=...))``.
AwsSolutions-IAM5 (wildcard permissions) is different: each finding names its wildcard, e.g.
``AwsSolutions-IAM5[Resource::<data bucket ARN>/models/*]``, and the ARN inside is a reference
that exists only once the app is built. So a construct declares the wildcards it may hold as
patterns (``allow_wildcards``), and the ``WildcardAllowances`` validation plugin acknowledges
exactly the findings those patterns match, just before cdk-nag checks. Every other wildcard
still fails synth.
"""

from __future__ import annotations

import re

import aws_cdk as cdk
import jsii
from cdk_nag import AwsSolutionsChecks
from constructs import Construct, IConstruct

_METADATA_TYPE = "nag:allowed-wildcards"
_FINDING = re.compile(r"^(?P<rule>AwsSolutions-IAM5)\[(?P<wildcard>.+)\]$")


def allow_wildcards(construct: Construct, *, patterns: list[str], reason: str) -> None:
    """Allow IAM5 findings on ``construct`` (or inside it) whose wildcard matches a pattern.

    Patterns are regular expressions over the finding's bracketed part, e.g.
    ``r"Resource::.*/models/\\*"`` or ``r"Action::s3:GetObject\\*"``; they must match it whole.
    """
    construct.node.add_metadata(_METADATA_TYPE, {"patterns": patterns, "reason": reason})


def _allowance(construct: IConstruct, wildcard: str) -> str | None:
    """The reason of the nearest allowance, on the construct or a scope, that covers it."""
    current: IConstruct | None = construct
    while current is not None:
        for entry in current.node.metadata:
            if entry.type == _METADATA_TYPE and any(
                re.fullmatch(pattern, wildcard) for pattern in entry.data["patterns"]
            ):
                return str(entry.data["reason"])
        current = current.node.scope
    return None


@jsii.implements(cdk.IPolicyValidationPlugin)
class WildcardAllowances:
    """A validation plugin, registered before cdk-nag's, that acknowledges the IAM5 findings an
    ``allow_wildcards`` declaration covers. It runs at validation time because only then do
    the findings name their final references (cross-stack ones included)."""

    def __init__(self, app: cdk.App) -> None:
        self._app = app

    @property
    def name(self) -> str:
        return "WildcardAllowances"

    @property
    def version(self) -> str:
        return "1.0.0"

    @property
    def rule_ids(self) -> list[str]:
        return ["AwsSolutions-IAM5"]

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        report = AwsSolutionsChecks().validate_scope(self._app)
        by_path = {construct.node.path: construct for construct in self._app.node.find_all()}
        for violation in report.violations:
            finding = _FINDING.match(violation.rule_name)
            if not finding:
                continue
            for resource in violation.violating_resources:
                construct = by_path[resource.construct_path]
                reason = _allowance(construct, finding["wildcard"])
                if reason:
                    cdk.Validations.of(construct).acknowledge(
                        cdk.Acknowledgment(id=violation.rule_name, reason=reason)
                    )
        # Reports nothing itself: cdk-nag, which runs next, reports what is left.
        return cdk.PolicyValidationPluginReport(success=True, violations=[])
