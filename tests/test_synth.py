"""Every supported variant synthesizes offline, cdk-nag clean, with the resources of exactly
the components it turns on."""

from __future__ import annotations

import pytest

from conftest import SUPPORTED, Rendered
from matrix import SynthReport

VARIANTS = sorted(SUPPORTED)
# Components are on unless a variant turns them off; the network comes with any that runs in it.
WITH_NETWORK = [
    name
    for name in VARIANTS
    if any(SUPPORTED[name].get(toggle, True) for toggle in ("with_api", "with_pipeline"))
]


@pytest.fixture(params=VARIANTS, ids=str)
def name(request: pytest.FixtureRequest) -> str:
    return request.param


def test_synthesizes_with_cdk_nag_clean(name: str, synthesized: dict[str, SynthReport]) -> None:
    report = synthesized[name]
    assert report.nag_findings == []
    assert report.error is None


def test_one_stage_per_environment_with_its_components(
    name: str, synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    variant = rendered_variants[name]
    components = {
        "Network": variant.answers["with_network"],
        "DataLake": variant.answers["with_data_lake"],
    }
    expected = {
        f"{variant.stage(environment)}/{component}"
        for environment in variant.answers["environments"]
        for component, on in components.items()
        if on
    }
    assert set(synthesized[name].stacks) == expected


@pytest.mark.parametrize("network_variant", WITH_NETWORK, ids=str)
def test_network(
    network_variant: str,
    synthesized: dict[str, SynthReport],
    rendered_variants: dict[str, Rendered],
) -> None:
    name = network_variant
    variant = rendered_variants[name]
    assert variant.answers["with_network"]
    nat = variant.answers["nat_gateways"]
    for environment in variant.answers["environments"]:
        stack = synthesized[name].stack(variant.stage(environment), "Network")
        assert len(stack.resources("AWS::EC2::VPC")) == 1
        assert len(stack.resources("AWS::EC2::NatGateway")) == nat
        subnets = stack.resources("AWS::EC2::Subnet").values()
        # Two zones of public and isolated subnets, plus private ones where NAT gives egress.
        assert len(subnets) == (6 if nat else 4)
        flow_logs = list(stack.resources("AWS::EC2::FlowLog").values())
        assert [f["Properties"]["LogDestinationType"] for f in flow_logs] == ["cloud-watch-logs"]
        log_groups = stack.resources("AWS::Logs::LogGroup").values()
        assert all("RetentionInDays" in g["Properties"] for g in log_groups)
        endpoints = stack.resources("AWS::EC2::VPCEndpoint").values()
        assert any(e["Properties"].get("VpcEndpointType") == "Gateway" for e in endpoints)


def _bucket(stack, logical_prefix: str) -> dict:
    (bucket,) = [
        resource
        for logical_id, resource in stack.resources("AWS::S3::Bucket").items()
        if logical_id.startswith(logical_prefix)
    ]
    return bucket


def test_data_lake(
    name: str, synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    variant = rendered_variants[name]
    for environment in variant.answers["environments"]:
        stack = synthesized[name].stack(variant.stage(environment), "DataLake")
        buckets = stack.resources("AWS::S3::Bucket")
        assert len(buckets) == 3
        for bucket in buckets.values():
            properties = bucket["Properties"]
            assert properties["PublicAccessBlockConfiguration"] == {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }
            assert "BucketEncryption" in properties
            # Production data outlives its stack; dev is disposable by its config.
            expected = "Delete" if environment == "dev" else "Retain"
            assert bucket["DeletionPolicy"] == expected
        features = _bucket(stack, "Features")["Properties"]
        assert features["VersioningConfiguration"] == {"Status": "Enabled"}
        rules = features["LifecycleConfiguration"]["Rules"]
        assert any("NoncurrentVersionExpiration" in rule for rule in rules)
        assert any("AbortIncompleteMultipartUpload" in rule for rule in rules)
        data_rules = _bucket(stack, "Data")["Properties"]["LifecycleConfiguration"]["Rules"]
        assert {"Prefix": "logs/"}.items() <= next(
            rule for rule in data_rules if rule.get("Prefix") == "logs/"
        ).items()
        policies = stack.resources("AWS::S3::BucketPolicy").values()
        ssl_denials = [
            statement
            for policy in policies
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert len(ssl_denials) == 3
