"""cdk-nag acknowledgements that depend on references, declared beside their constructs.

Most findings are acknowledged directly, with
``cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=..., reason=...))``.
AwsSolutions-IAM5 (wildcard permissions) is different: each finding names its wildcard, e.g.
``AwsSolutions-IAM5[Resource::<data bucket ARN>/models/*]``, and the ARN inside is a reference
that exists only once the app is built. So a construct declares the wildcards it may hold as
patterns, and the actions it may hold them with (``allow_wildcards``), and the
``WildcardAllowances`` validation plugin acknowledges exactly the findings those patterns
match, just before cdk-nag checks. Every other wildcard still fails synth, and so does a
statement that grants an action the allowance does not name on an allowed wildcard resource
(``secretsmanager:GetSecretValue`` added on ``*`` beside an allowed ``xray:PutTraceSegments``):
the message names the role and the action.

A compliance pack (copier's compliance_pack; the packs are in ``packs``) adds its own rules.
``acknowledge_compliance`` acknowledges one of them beside its construct, under the project's
pack, and does nothing when the project has no pack or its pack lacks the rule.
"""

from __future__ import annotations

import json
import re
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from cdk_nag import AwsSolutionsChecks
from constructs import Construct, IConstruct

from .packs import PACKS, PROJECT_PACK
from .scanners import skip_checkov

_METADATA_TYPE = "nag:allowed-wildcards"
# The plugin's own finding: an action granted on an allowed wildcard that no allowance names.
UNNAMED_ACTION = "WildcardAllowances-UnnamedAction"
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
    actions: list[str]
    reason: str

    def covers(self, construct_path: str, wildcard: str) -> bool:
        inside = construct_path == self.path or construct_path.startswith(f"{self.path}/")
        return inside and any(re.fullmatch(pattern, wildcard) for pattern in self.patterns)

    def allows(self, action: str) -> bool:
        return any(fnmatchcase(action, allowed) for allowed in self.actions)


# Each app's allowances, kept in Python as well as in the construct's metadata: the check at
# validation time then reads them without a jsii call per construct, which cost a second of a
# large app's synth.
_ALLOWANCES: weakref.WeakKeyDictionary[IConstruct, list[_Allowance]] = weakref.WeakKeyDictionary()


def allow_wildcards(
    construct: Construct,
    *,
    patterns: list[str],
    actions: list[str],
    reason: str,
    checkov_checks: Sequence[str] = (),
) -> None:
    """Allow IAM5 findings on ``construct`` (or inside it) whose wildcard matches a pattern,
    for statements that grant only ``actions`` on it.

    Patterns are regular expressions over the finding's bracketed part, e.g.
    ``r"Resource::.*/models/\\*"`` or ``r"Action::s3:GetObject\\*"``; they must match it whole.
    ``actions`` are the IAM actions the statements on an allowed wildcard resource may grant,
    as written in the policy (``s3:GetObject``, ``s3:GetObject*``; shell-style patterns): a
    statement that grants any other action on it is a finding of its own, which names the
    action, and its wildcard is left unacknowledged.

    ``checkov_checks`` are checkov's checks of the role's policy as a whole (CKV_AWS_111,
    write access without constraints) that the same statements trip: they are skipped on the
    role's default policy with the same reason, and hold only as long as the synth does, which
    fails on any action the allowance does not name.
    """
    if not actions:
        raise ValueError(f"{construct.node.path}: name the actions the wildcard is allowed for")
    # The metadata records the allowance in the cloud assembly, beside the construct.
    construct.node.add_metadata(
        _METADATA_TYPE, {"patterns": patterns, "actions": actions, "reason": reason}
    )
    allowance = _Allowance(construct, construct.node.path, patterns, actions, reason)
    for check_id in checkov_checks:
        skip_checkov(construct.node.find_child("DefaultPolicy"), check_id, reason=reason)
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
        return [UNNAMED_ACTION]

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        allowances = _ALLOWANCES.get(self._app, [])
        violations = self._acknowledge_allowed(allowances) if allowances else []
        # cdk-nag, which runs next, reports the wildcards left unacknowledged.
        return cdk.PolicyValidationPluginReport(success=not violations, violations=violations)

    def _acknowledge_allowed(self, allowances: list[_Allowance]) -> list[cdk.PolicyViolation]:
        """Acknowledge each IAM5 finding an allowance covers, on the construct that declared
        the allowance: an acknowledgement holds for the findings inside its construct. A
        resource wildcard is covered only when every action granted on it is allowed; each
        action that is not becomes a violation naming the role and the action."""
        acknowledged: set[tuple[str, str]] = set()
        violations: list[cdk.PolicyViolation] = []
        policies = _Policies(self._app)
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
                wildcard = finding["wildcard"]
                if wildcard.startswith("Resource::"):
                    unnamed = [
                        action
                        for action in policies.actions_on(resource.construct_path, wildcard)
                        if not any(allowance.allows(action) for allowance in covering)
                    ]
                    if unnamed:
                        violations.append(_unnamed_actions(nearest, wildcard, unnamed, resource))
                        continue
                if (nearest.path, violation.rule_name) in acknowledged:
                    continue
                cdk.Validations.of(nearest.construct).acknowledge(
                    cdk.Acknowledgment(id=violation.rule_name, reason=nearest.reason)
                )
                acknowledged.add((nearest.path, violation.rule_name))
        return violations


class _Policies:
    """The app's IAM policies by construct path, each found and resolved once per validation:
    the findings name the same policy many times, and each lookup is a jsii call per part of
    the path (a tenth of the all-on app's synth when repeated)."""

    def __init__(self, app: cdk.App) -> None:
        self._constructs: dict[str, IConstruct] = {"": app}
        self._statements: dict[str, list[dict[str, Any]]] = {}

    def actions_on(self, construct_path: str, wildcard: str) -> list[str]:
        """The actions that the Allow statements of the policy at ``construct_path`` grant on
        the resource ``wildcard`` names (cdk-nag's flattened form, after "Resource::")."""
        resource = wildcard.removeprefix("Resource::")
        actions: list[str] = []
        for statement in self._allow_statements(construct_path):
            resources = [_flatten(item) for item in _as_list(statement.get("Resource"))]
            if resource in resources:
                actions += [a for a in _as_list(statement.get("Action")) if a not in actions]
        return actions

    def _allow_statements(self, construct_path: str) -> list[dict[str, Any]]:
        if construct_path not in self._statements:
            self._statements[construct_path] = [
                statement
                for document in _policy_documents(self._construct(construct_path))
                for statement in _as_list(document.get("Statement"))
                if statement.get("Effect") == "Allow"
            ]
        return self._statements[construct_path]

    def _construct(self, path: str) -> IConstruct:
        if path not in self._constructs:
            parent, _, name = path.rpartition("/")
            self._constructs[path] = self._construct(parent).node.find_child(name)
        return self._constructs[path]


def _unnamed_actions(
    allowance: _Allowance, wildcard: str, actions: list[str], resource: Any
) -> cdk.PolicyViolation:
    return cdk.PolicyViolation(
        rule_name=UNNAMED_ACTION,
        description=(
            f"{allowance.path} grants {', '.join(actions)} on {wildcard.removeprefix('Resource::')}"
            f", which its wildcard allowance does not name (it allows "
            f"{', '.join(allowance.actions)}): scope the statement to named resources, or add "
            "the action to the allow_wildcards call with its reason"
        ),
        violating_resources=[resource],
    )


def _policy_documents(construct: IConstruct) -> list[dict[str, Any]]:
    """The policy documents of an IAM policy or role resource, resolved."""
    stack = cdk.Stack.of(construct)
    if isinstance(construct, (iam.CfnPolicy, iam.CfnManagedPolicy)):
        return [stack.resolve(construct.policy_document)]
    if isinstance(construct, iam.CfnRole):
        policies = stack.resolve(construct.policies) or []
        return [
            stack.resolve(policy.get("PolicyDocument", policy.get("policyDocument")))
            for policy in policies
        ]
    return []


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _flatten(reference: Any) -> str:
    """A resolved CloudFormation value as the string cdk-nag's findings name it."""
    if isinstance(reference, str):
        return reference.replace("${", "<").replace("}", ">")
    if isinstance(reference, dict):
        if "Fn::Join" in reference:
            delimiter, items = reference["Fn::Join"]
            return delimiter.join(_flatten(item) for item in items)
        if "Fn::Sub" in reference:
            return _flatten(reference["Fn::Sub"])
        if "Fn::GetAtt" in reference:
            name, attribute = reference["Fn::GetAtt"]
            return f"<{_flatten(name)}.{_flatten(attribute)}>"
        if "Fn::ImportValue" in reference:
            return _flatten(reference["Fn::ImportValue"])
        if "Ref" in reference:
            return f"<{_flatten(reference['Ref'])}>"
    return json.dumps(reference, separators=(",", ":"))
