"""cdk-nag acknowledgements that depend on references, declared beside their constructs.

Most findings are acknowledged directly, with
``cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=..., reason=...))``.
AwsSolutions-IAM5 (wildcard permissions) is different: each finding names its wildcard, e.g.
``AwsSolutions-IAM5[Resource::<data bucket ARN>/models/*]``, and the ARN inside is a reference
that exists only once the app is built. So a construct declares the wildcards it may hold as
patterns (``allow_wildcards``), and the ``WildcardAllowances`` validation plugin acknowledges
exactly the findings those patterns match, just before cdk-nag checks. Every other wildcard
still fails synth.

A compliance pack (copier's compliance_pack; the packs are in ``packs``) adds its own rules.
``acknowledge_compliance`` acknowledges one of them beside its construct, under the project's
pack, and does nothing when the project has no pack or its pack lacks the rule.
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass

import aws_cdk as cdk
import jsii
from cdk_nag import AwsSolutionsChecks
from constructs import Construct, IConstruct

from .packs import PACKS, PROJECT_PACK

_METADATA_TYPE = "nag:allowed-wildcards"
_FINDING = re.compile(r"^(?P<rule>AwsSolutions-IAM5)\[(?P<wildcard>.+)\]$")


def acknowledge_compliance(construct: IConstruct, rule: str, *, reason: str) -> None:
    """Acknowledge one rule of the project's compliance pack on ``construct``, if the pack has
    it: ``rule`` is the part after the pack's prefix, e.g. "LambdaDLQ". With no pack, nothing.
    """
    if not any(rule in pack.acknowledged_rules for pack in PACKS.values()):
        raise ValueError(
            f"{rule} is in no compliance pack's acknowledged_rules: add it to those of the "
            "packs that have the rule (compliance/packs.py)"
        )
    if PROJECT_PACK is not None and rule in PROJECT_PACK.acknowledged_rules:
        rule_id = f"{PROJECT_PACK.rule_prefix}-{rule}"
        cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule_id, reason=reason))


@dataclass(frozen=True)
class _Allowance:
    construct: IConstruct
    path: str
    patterns: list[str]
    reason: str

    def covers(self, construct_path: str, wildcard: str) -> bool:
        inside = construct_path == self.path or construct_path.startswith(f"{self.path}/")
        return inside and any(re.fullmatch(pattern, wildcard) for pattern in self.patterns)


# Each app's allowances, kept in Python as well as in the construct's metadata: the check at
# validation time then reads them without a jsii call per construct, which cost a second of a
# large app's synth.
_ALLOWANCES: weakref.WeakKeyDictionary[IConstruct, list[_Allowance]] = weakref.WeakKeyDictionary()


def allow_wildcards(construct: Construct, *, patterns: list[str], reason: str) -> None:
    """Allow IAM5 findings on ``construct`` (or inside it) whose wildcard matches a pattern.

    Patterns are regular expressions over the finding's bracketed part, e.g.
    ``r"Resource::.*/models/\\*"`` or ``r"Action::s3:GetObject\\*"``; they must match it whole.
    """
    # The metadata records the allowance in the cloud assembly, beside the construct.
    construct.node.add_metadata(_METADATA_TYPE, {"patterns": patterns, "reason": reason})
    allowance = _Allowance(construct, construct.node.path, patterns, reason)
    _ALLOWANCES.setdefault(construct.node.root, []).append(allowance)


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
        allowances = _ALLOWANCES.get(self._app, [])
        if allowances:
            self._acknowledge_allowed(allowances)
        # Reports nothing itself: cdk-nag, which runs next, reports what is left.
        return cdk.PolicyValidationPluginReport(success=True, violations=[])

    def _acknowledge_allowed(self, allowances: list[_Allowance]) -> None:
        """Acknowledge each IAM5 finding an allowance covers, on the construct that declared
        the allowance: an acknowledgement holds for the findings inside its construct."""
        acknowledged: set[tuple[str, str]] = set()
        for violation in AwsSolutionsChecks().validate_scope(self._app).violations:
            finding = _FINDING.match(violation.rule_name)
            if not finding:
                continue
            for resource in violation.violating_resources:
                covering = [
                    allowance
                    for allowance in allowances
                    if allowance.covers(resource.construct_path, finding["wildcard"])
                ]
                if not covering:
                    continue
                nearest = max(covering, key=lambda allowance: len(allowance.path))
                if (nearest.path, violation.rule_name) in acknowledged:
                    continue
                cdk.Validations.of(nearest.construct).acknowledge(
                    cdk.Acknowledgment(id=violation.rule_name, reason=nearest.reason)
                )
                acknowledged.add((nearest.path, violation.rule_name))
