"""The VPC: public, private and isolated subnets over two zones, flow logs, an S3 endpoint."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from constructs import Construct

from ..compliance.log_groups import log_group
from ..compliance.nag import acknowledge_compliance
from .settings import NetworkSettings


class Network(cdk.Stack):
    """Creates the VPC and exposes it as ``vpc``, with ``workload_subnets`` for services and
    ``nat_gateway_ids``.

    Public subnets hold load balancers and NAT gateways. Services run in the private subnets,
    which reach the internet through NAT; with no NAT gateway there are none, and services run
    in the isolated subnets and reach AWS through VPC endpoints only.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: NetworkSettings,
        removal_policy: cdk.RemovalPolicy,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)

        subnets = [
            # Load balancers and NAT gateways need no address assigned at launch.
            ec2.SubnetConfiguration(
                name="public",
                subnet_type=ec2.SubnetType.PUBLIC,
                cidr_mask=24,
                map_public_ip_on_launch=False,
            ),
            ec2.SubnetConfiguration(
                name="isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=24
            ),
        ]
        if settings.nat_gateways > 0:
            subnets.insert(
                1,
                ec2.SubnetConfiguration(
                    name="private", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS, cidr_mask=20
                ),
            )

        flow_logs = log_group(
            self,
            "FlowLogs",
            days=settings.flow_log_retention_days,
            removal_policy=removal_policy,
        )
        self.vpc = ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr(settings.cidr),
            nat_gateways=settings.nat_gateways,
            subnet_configuration=subnets,
            flow_logs={
                "All": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
            # S3 traffic stays on the AWS network and costs no NAT data processing.
            gateway_endpoints={
                "S3": ec2.GatewayVpcEndpointOptions(service=ec2.GatewayVpcEndpointAwsService.S3)
            },
            max_azs=2,
        )
        acknowledge_compliance(
            self.vpc.node.find_child("All"),
            "IAMNoInlinePolicy",
            reason="The flow log's role holds one policy, CDK's grant to write this VPC's flow "
            "log group: created and deleted with the role, attachable to no other principal.",
        )
        for subnet in self.vpc.public_subnets:
            acknowledge_compliance(
                subnet,
                "VPCNoUnrestrictedRouteToIGW",
                reason="A public subnet's route to the internet gateway is what makes it public: "
                "it holds the internet-facing load balancers and the NAT gateways, and no "
                "instance; workloads run in the private or isolated subnets.",
            )
        self.workload_subnets = ec2.SubnetSelection(
            subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS
            if settings.nat_gateways > 0
            else ec2.SubnetType.PRIVATE_ISOLATED
        )

    @property
    def nat_gateway_ids(self) -> list[str]:
        """The IDs of the NAT gateways, one per public subnet that holds one."""
        gateways = (subnet.node.try_find_child("NATGateway") for subnet in self.vpc.public_subnets)
        return [gateway.ref for gateway in gateways if isinstance(gateway, ec2.CfnNatGateway)]

    @property
    def availability_zones(self) -> list[str]:
        """The region's first two zones, chosen by CloudFormation at deploy time.

        With a fixed account CDK would otherwise look the zones up with AWS credentials at
        synth; these references need no lookup and name no zone that an account may lack.
        """
        return [cdk.Fn.select(index, cdk.Fn.get_azs()) for index in range(2)]
