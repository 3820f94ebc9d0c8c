"""What monitoring watches of the other components: typed handles the stage passes from each
component's stack to the Monitoring stack. A component the project does not have passes none."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn


@dataclass(frozen=True)
class BucketsWatch:
    """The data lake's buckets, whose size the dashboard shows."""

    buckets: dict[str, s3.IBucket]


@dataclass(frozen=True)
class NatWatch:
    """The NAT gateways (their IDs); none when the network has no NAT."""

    nat_gateway_ids: list[str]


@dataclass(frozen=True)
class ServiceWatch:
    """A Fargate service behind a load balancer, and the fewest tasks it should run."""

    service: ecs.FargateService
    target_group: elbv2.ApplicationTargetGroup
    load_balancer: elbv2.ApplicationLoadBalancer
    min_tasks: int


@dataclass(frozen=True)
class StateMachineWatch:
    """A state machine whose failed and timed-out runs are reported, and the metric its runs
    publish when their features drift (1 drifted, 0 not)."""

    state_machine: sfn.StateMachine
    drift: cloudwatch.IMetric


@dataclass(frozen=True)
class InstanceWatch:
    """An auto scaling group's instance behind a load balancer."""

    auto_scaling_group: autoscaling.AutoScalingGroup
    target_group: elbv2.ApplicationTargetGroup
    load_balancer: elbv2.ApplicationLoadBalancer
