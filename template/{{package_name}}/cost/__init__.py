"""The idle cost of each environment: what its synthesized templates hold that costs money
by the hour or the month whether or not anyone calls it, priced from prices.yml.

Counted, per stack: NAT gateways, public IPv4 addresses (Elastic IPs, and one per zone of each
internet-facing load balancer), load balancers, the Fargate tasks a service keeps running (its
autoscaling minimum), the instances an Auto Scaling group keeps (its minimum) with their
volumes and detailed monitoring, interface VPC endpoints per zone, KMS keys, web ACLs and their
rules, alarms, dashboards, secrets and CloudFront distributions. Not counted: what each
request, run, gigabyte stored or transferred costs, Container Insights and logs, and free
tiers (the first three dashboards and ten alarms of an account are free).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..cloud_assembly import read_stacks

PRICES_FILE = Path(__file__).resolve().parent / "prices.yml"
# What each counted item is called in a printed table, by its key in prices.yml.
ITEMS = {
    "nat_gateway_hour": "NAT gateways",
    "public_ipv4_hour": "public IPv4 addresses",
    "load_balancer_hour": "load balancers",
    "fargate_vcpu_hour": "Fargate vCPUs",
    "fargate_gb_hour": "Fargate memory (GB)",
    "instance_hour": "instances",
    "ebs_gp3_gb_month": "gp3 volumes (GB)",
    "detailed_monitoring_instance_month": "instances with detailed monitoring",
    "interface_endpoint_zone_hour": "interface endpoints (per zone)",
    "kms_key_month": "KMS keys",
    "web_acl_month": "web ACLs",
    "web_acl_rule_month": "web ACL rules",
    "alarm_month": "alarms",
    "dashboard_month": "dashboards",
    "secret_month": "secrets",
    "cloudfront_distribution_month": "CloudFront distributions",
}


@dataclass(frozen=True)
class Line:
    """One priced item of one stack."""

    environment: str
    component: str
    item: str  # a key of prices.yml; instances are "instance_hour:<type>"
    quantity: float
    monthly: float | None  # None: the price table has no price for it


def load_prices(path: Path = PRICES_FILE) -> dict[str, Any]:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _number(value: Any, default: float = 0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def count(template: dict[str, Any]) -> Counter[str]:
    """What one stack holds that costs money when idle, by item of prices.yml."""
    resources: dict[str, Any] = template.get("Resources", {})
    counted: Counter[str] = Counter()

    def of_type(resource_type: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (logical_id, resource.get("Properties", {}))
            for logical_id, resource in resources.items()
            if resource["Type"] == resource_type
        ]

    counted["nat_gateway_hour"] += len(of_type("AWS::EC2::NatGateway"))
    counted["public_ipv4_hour"] += len(of_type("AWS::EC2::EIP"))
    for _, properties in of_type("AWS::ElasticLoadBalancingV2::LoadBalancer"):
        counted["load_balancer_hour"] += 1
        if properties.get("Scheme") == "internet-facing":
            counted["public_ipv4_hour"] += len(properties.get("Subnets", [])) or 2

    minimums = {
        json.dumps(properties.get("ResourceId")): _number(properties.get("MinCapacity"), 1)
        for _, properties in of_type("AWS::ApplicationAutoScaling::ScalableTarget")
        if properties.get("ScalableDimension") == "ecs:service:DesiredCount"
    }
    for logical_id, properties in of_type("AWS::ECS::Service"):
        tasks = _number(properties.get("DesiredCount"), 1)
        for resource_id, minimum in minimums.items():
            if f'"{logical_id}"' in resource_id:
                tasks = minimum
        definition = resources.get(properties.get("TaskDefinition", {}).get("Ref", ""), {})
        size = definition.get("Properties", {})
        counted["fargate_vcpu_hour"] += tasks * _number(size.get("Cpu")) / 1024
        counted["fargate_gb_hour"] += tasks * _number(size.get("Memory")) / 1024

    for _, properties in of_type("AWS::AutoScaling::AutoScalingGroup"):
        instances = _number(properties.get("MinSize"), 1)
        launch = properties.get("LaunchTemplate", {}).get("LaunchTemplateId", {})
        logical_id = launch.get("Ref") if isinstance(launch, dict) else None
        data = resources.get(logical_id, {}).get("Properties", {}).get("LaunchTemplateData", {})
        counted[f"instance_hour:{data.get('InstanceType', 'unknown')}"] += instances
        volumes = sum(
            _number(mapping.get("Ebs", {}).get("VolumeSize"), 8)
            for mapping in data.get("BlockDeviceMappings", [])
        )
        counted["ebs_gp3_gb_month"] += instances * volumes
        if data.get("Monitoring", {}).get("Enabled"):
            counted["detailed_monitoring_instance_month"] += instances

    for _, properties in of_type("AWS::EC2::VPCEndpoint"):
        if properties.get("VpcEndpointType") == "Interface":
            counted["interface_endpoint_zone_hour"] += len(properties.get("SubnetIds", []))
    for _, properties in of_type("AWS::WAFv2::WebACL"):
        counted["web_acl_month"] += 1
        counted["web_acl_rule_month"] += len(properties.get("Rules", []))
    counted["kms_key_month"] += len(of_type("AWS::KMS::Key"))
    counted["alarm_month"] += len(of_type("AWS::CloudWatch::Alarm"))
    counted["dashboard_month"] += len(of_type("AWS::CloudWatch::Dashboard"))
    counted["secret_month"] += len(of_type("AWS::SecretsManager::Secret"))
    counted["cloudfront_distribution_month"] += len(of_type("AWS::CloudFront::Distribution"))
    return Counter({item: quantity for item, quantity in counted.items() if quantity})


def region_prices(prices: dict[str, Any], region: str) -> dict[str, Any]:
    """The prices of ``region``, or of the table's fallback region when it has none."""
    return prices["regions"].get(region) or prices["regions"][prices["fallback_region"]]


def monthly(prices: dict[str, Any], region: str, item: str, quantity: float) -> float | None:
    """The monthly cost of ``quantity`` of ``item`` in ``region``; None when unpriced."""
    table = region_prices(prices, region)
    key, _, instance_type = item.partition(":")
    price = table[key].get(instance_type) if instance_type else table.get(key)
    if price is None:
        return None
    hours = prices["hours_per_month"] if key.endswith("_hour") else 1
    return round(quantity * price * hours, 2)


def estimate(cdk_out: Path, prices: dict[str, Any] | None = None) -> list[Line]:
    """Every priced item of every stack of the assembly."""
    prices = prices or load_prices()
    return [
        Line(
            environment=stack.stage,
            component=stack.component,
            item=item,
            quantity=quantity,
            monthly=monthly(prices, stack.region, item, quantity),
        )
        for stack in read_stacks(cdk_out)
        for item, quantity in sorted(count(stack.template).items())
    ]


def totals(lines: list[Line]) -> dict[str, float]:
    """Each environment's monthly total."""
    result: dict[str, float] = {}
    for line in lines:
        result[line.environment] = round(result.get(line.environment, 0) + (line.monthly or 0), 2)
    return result
