"""The front end: the Next.js app of runtime/ on an EC2 instance behind a public load balancer."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_apigatewayv2 as apigwv2
from aws_cdk import aws_autoscaling as autoscaling
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_route53 as route53
from aws_cdk import aws_route53_targets as targets
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_s3_assets as assets
from constructs import Construct

from ..compliance.log_groups import log_group
from ..compliance.nag import acknowledge_compliance, allow_wildcards
from ..data_lake import layout
from ..network.load_balancers import PublicLoadBalancer, WebAclLimits
from ..settings.base import DnsSettings
from .settings import FrontendSettings

COMPONENT_DIR = Path(__file__).resolve().parent
RUNTIME_DIR = COMPONENT_DIR / "runtime"
USER_DATA_SCRIPT = COMPONENT_DIR / "user_data.sh"
AGENT_CONFIG = COMPONENT_DIR / "cloudwatch_agent.json"
# What the instance does not need from runtime/: installed packages and local builds.
RUNTIME_EXCLUDES = ["node_modules", ".next", "out", ".test-build", "next-env.d.ts", "*.tsbuildinfo"]
APP_PORT = 3000
HEALTH_CHECK_PATH = "/api/health"
# Installing Node.js and the app's packages and building it, on the smallest instance (the
# first boot of a version; later ones download that build).
BOOT_TIMEOUT = cdk.Duration.minutes(25)
# The model API's routes that the app's server calls (lib/proxy.ts, app/api/*/route.ts).
API_ROUTES = (
    ("GET", "/model"),
    ("POST", "/predict"),
    ("POST", "/predict/batch"),
    ("GET", "/runs"),
)


class Frontend(cdk.Stack):
    """Creates the jury's web page and exposes ``url``, ``load_balancer``, ``target_group``
    and ``auto_scaling_group``.

    One Amazon Linux 2023 instance in the workload subnets, kept by an Auto Scaling group of
    one, runs the app under systemd; an internet-facing load balancer sends it the traffic
    (HTTPS when a domain is configured). The instance has no key pair and no SSH port: Session
    Manager reaches it. Its user data installs Node.js, downloads the app (an S3 asset built
    from runtime/ at deploy time), builds it and starts it with ``API_URL``; a new version of
    the app is a new asset, hence new user data, and the deploy replaces the instance.

    The app's server calls the model API at its public address, as any caller does: given
    ``signed_api`` (API Gateway with IAM auth), it signs each call with the instance's role,
    which may invoke the routes of ``API_ROUTES`` and no other.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: FrontendSettings,
        dns: DnsSettings,
        vpc: ec2.IVpc,
        workload_subnets: ec2.SubnetSelection,
        access_logs_bucket: s3.IBucket,
        build_cache_bucket: s3.IBucket,
        api_url: str,
        signed_api: apigwv2.IHttpApi | None,
        removal_policy: cdk.RemovalPolicy,
        **kwargs: Any,
    ) -> None:
        """``api_url`` is the model API's address as the instance calls it; ``signed_api`` is
        the HTTP API that checks IAM auth on those calls, or None when the API checks none. The
        app is built once per source and CPU architecture, by the first instance that boots
        it, and kept under the ``frontend_builds/`` prefix of ``build_cache_bucket`` for every
        later boot."""
        super().__init__(scope, construct_id, **kwargs)
        log_groups = {
            name: log_group(
                self,
                f"{name.capitalize()}Logs",
                days=settings.log_retention_days,
                removal_policy=removal_policy,
            )
            for name in ("app", "boot")
        }
        app_source = assets.Asset(
            self, "AppSource", path=str(RUNTIME_DIR), exclude=RUNTIME_EXCLUDES
        )
        metrics_namespace = self.stack_name
        builds = build_cache_bucket.arn_for_objects(f"{layout.FRONTEND_BUILDS}*")
        role = self._server_role(
            app_source=app_source,
            log_groups=log_groups,
            metrics_namespace=metrics_namespace,
            builds=builds,
        )
        if signed_api is not None:
            role.add_to_policy(
                iam.PolicyStatement(
                    actions=["execute-api:Invoke"],
                    resources=[
                        signed_api.arn_for_execute_api(method, path, "$default")
                        for method, path in API_ROUTES
                    ],
                )
            )

        security_group = ec2.SecurityGroup(
            self,
            "ServerSecurityGroup",
            vpc=vpc,
            description="Front end instance: traffic from its load balancer only",
            allow_all_outbound=False,
        )
        security_group.add_egress_rule(
            ec2.Peer.any_ipv4(),
            ec2.Port.tcp(443),
            "HTTPS: packages, the npm registry, Session Manager and other AWS APIs",
        )
        if api_url.startswith("http://"):
            # The API's public load balancer without a domain answers plain HTTP, via NAT.
            security_group.add_egress_rule(
                ec2.Peer.any_ipv4(), ec2.Port.tcp(80), "to the model API public load balancer"
            )

        instance_type = ec2.InstanceType(settings.instance_type)
        # Graviton instance types (t4g, m7g, ...) boot the arm64 image.
        cpu_type = (
            ec2.AmazonLinuxCpuType.ARM_64
            if instance_type.architecture == ec2.InstanceArchitecture.ARM_64
            else ec2.AmazonLinuxCpuType.X86_64
        )
        user_data = ec2.UserData.for_linux()
        launch_template = ec2.LaunchTemplate(
            self,
            "LaunchTemplate",
            instance_type=instance_type,
            # AWS's public SSM parameter, resolved by CloudFormation at each deploy: nothing is
            # looked up at synth, and a deploy after AWS publishes a new image replaces the
            # instance with one booted from it.
            machine_image=ec2.MachineImage.latest_amazon_linux2023(cpu_type=cpu_type),
            role=role,
            security_group=security_group,
            user_data=user_data,
            require_imdsv2=True,
            detailed_monitoring=True,
            disable_api_termination=settings.termination_protection,
            block_devices=[
                ec2.BlockDevice(
                    device_name="/dev/xvda",
                    volume=ec2.BlockDeviceVolume.ebs(
                        settings.volume_size_gib,
                        encrypted=True,
                        volume_type=ec2.EbsDeviceVolumeType.GP3,
                        delete_on_termination=True,
                    ),
                )
            ],
        )
        self.auto_scaling_group = autoscaling.AutoScalingGroup(
            self,
            "Server",
            vpc=vpc,
            vpc_subnets=workload_subnets,
            launch_template=launch_template,
            min_capacity=1,
            max_capacity=1,
            # The load balancer's health check counts: an instance whose app stops answering
            # is replaced.
            health_checks=autoscaling.HealthChecks.with_additional_checks(
                additional_types=[autoscaling.AdditionalHealthCheckType.ELB],
                grace_period=BOOT_TIMEOUT,
            ),
            # A deploy waits for the new instance's signal (its app answers), then removes the
            # old one; without the signal it rolls back and the old instance keeps serving.
            signals=autoscaling.Signals.wait_for_all(timeout=BOOT_TIMEOUT),
            update_policy=autoscaling.UpdatePolicy.replacing_update(),
        )
        cdk.Validations.of(self.auto_scaling_group).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-AS3",
                reason="A group of one instance that never scales: its only events are "
                "replacements, which the deploy reports and the group's activity history keeps.",
            )
        )
        user_data.add_signal_on_exit_command(self.auto_scaling_group)
        user_data.add_commands(
            *self._boot_values(
                app_source=app_source,
                builds_url=f"s3://{build_cache_bucket.bucket_name}/{layout.FRONTEND_BUILDS}",
                api_url=api_url,
                api_signing_region=self.region if signed_api is not None else "",
                agent_config=_agent_config(
                    log_groups={name: group.log_group_name for name, group in log_groups.items()},
                    metrics_namespace=metrics_namespace,
                ),
            ),
            USER_DATA_SCRIPT.read_text(encoding="utf-8"),
        )

        self.load_balancer, self.url = self._load_balancer(
            settings,
            dns=dns,
            vpc=vpc,
            access_logs_bucket=access_logs_bucket,
            api_over_https=not api_url.startswith("http://"),
            removal_policy=removal_policy,
        )

        cdk.CfnOutput(self, "Url", value=self.url, description="The front end's address")
        cdk.CfnOutput(
            self,
            "AutoScalingGroupName",
            value=self.auto_scaling_group.auto_scaling_group_name,
            description="The group that keeps the instance; its instance is reached with "
            "`aws ssm start-session`",
        )
        cdk.CfnOutput(self, "AppLogGroupName", value=log_groups["app"].log_group_name)

    def _server_role(
        self,
        *,
        app_source: assets.Asset,
        log_groups: dict[str, logs.LogGroup],
        metrics_namespace: str,
        builds: str,
    ) -> iam.Role:
        """Session Manager, the CloudWatch agent's logs and metrics, the app's source and its
        builds: no more."""
        role = iam.Role(
            self,
            "ServerRole",
            assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
            description="Front end instance",
        )
        acknowledge_compliance(
            role,
            "IAMNoInlinePolicy",
            reason="The policy holds CDK's grants to this one role: created, changed and "
            "deleted with it, attachable to no other principal, naming only Session Manager's "
            "channels, the app's source, its log groups, metric namespace and model API routes.",
        )
        # Session Manager and nothing else of Systems Manager (AWS's minimal policy for it,
        # without session logs to S3): the agent registers the instance and opens the
        # session's channels. No parameters, documents or Run Command, which
        # AmazonSSMManagedInstanceCore would allow.
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["ssm:UpdateInstanceInformation"],
                resources=[self.format_arn(service="ec2", resource="instance", resource_name="*")],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=[
                    "ssmmessages:CreateControlChannel",
                    "ssmmessages:CreateDataChannel",
                    "ssmmessages:OpenControlChannel",
                    "ssmmessages:OpenDataChannel",
                ],
                resources=["*"],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["s3:GetObject"],
                resources=[app_source.bucket.arn_for_objects(app_source.s3_object_key)],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(actions=["s3:GetObject", "s3:PutObject"], resources=[builds])
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[group.log_group_arn for group in log_groups.values()],
            )
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["cloudwatch:PutMetricData"],
                resources=["*"],
                conditions={"StringEquals": {"cloudwatch:namespace": metrics_namespace}},
            )
        )
        allow_wildcards(
            role,
            patterns=[r"Resource::\*"],
            actions=[
                "cloudwatch:PutMetricData",
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
            ],
            reason="cloudwatch:PutMetricData and Session Manager's ssmmessages channel actions "
            "have no resource-level permissions; a condition holds PutMetricData to the front "
            "end's own metric namespace.",
        )
        allow_wildcards(
            role,
            patterns=[r"Resource::arn:.+:ec2:.+:instance/\*"],
            actions=["ssm:UpdateInstanceInformation"],
            reason="ssm:UpdateInstanceInformation, with which Session Manager's agent registers "
            "the instance: the instance's ID is known only once the group launches it.",
        )
        allow_wildcards(
            role,
            patterns=[r"Resource::.+/frontend_builds/\*"],
            actions=["s3:GetObject", "s3:PutObject"],
            reason="Reads and writes the app's builds under frontend_builds/ of the data bucket, "
            "named by the source's hash and the CPU architecture at boot; nothing else there.",
        )
        return role

    def _boot_values(
        self,
        *,
        app_source: assets.Asset,
        builds_url: str,
        api_url: str,
        api_signing_region: str,
        agent_config: str,
    ) -> list[str]:
        """The values user_data.sh reads, as shell assignments that CloudFormation completes.

        The app's S3 key is its content hash, so a changed app changes the user data, and the
        deploy replaces the instance with one that runs the new version.
        """
        values = {
            "APP_ARCHIVE_URL": app_source.s3_object_url,
            "BUILDS_URL": builds_url,
            "API_URL": api_url,
            # Empty: the app calls the API unsigned.
            "API_SIGNING_REGION": api_signing_region,
            "APP_PORT": str(APP_PORT),
            "HEALTH_CHECK_PATH": HEALTH_CHECK_PATH,
            "AWS_REGION": self.region,
            "AGENT_CONFIG": agent_config,
        }
        return [f"readonly {name}={shlex.quote(value)}" for name, value in values.items()]

    def _load_balancer(
        self,
        settings: FrontendSettings,
        *,
        dns: DnsSettings,
        vpc: ec2.IVpc,
        access_logs_bucket: s3.IBucket,
        api_over_https: bool,
        removal_policy: cdk.RemovalPolicy,
    ) -> tuple[elbv2.ApplicationLoadBalancer, str]:
        """The public entry, behind a web ACL that limits the requests of each client: HTTPS
        with a certificate and HTTP redirected to it when a domain is configured, plain HTTP on
        the AWS-generated address otherwise."""
        zone = (
            route53.HostedZone.from_hosted_zone_attributes(
                self, "Zone", hosted_zone_id=dns.hosted_zone_id, zone_name=dns.hosted_zone_name
            )
            if settings.domain_name
            else None
        )
        certificate = (
            acm.Certificate(
                self,
                "Certificate",
                domain_name=settings.domain_name,
                validation=acm.CertificateValidation.from_dns(zone),
            )
            if zone
            else None
        )
        public = PublicLoadBalancer(
            self,
            "LoadBalancer",
            vpc=vpc,
            access_logs_bucket=access_logs_bucket,
            access_logs_prefix="frontend-load-balancer",
            certificate=certificate,
            internet_reason="The front end's public entry: the jury's browsers reach it from "
            "anywhere.",
            plain_http_reason="No domain is configured (frontend.domain_name is empty), so no "
            "certificate can be issued for the load balancer's AWS-generated name: the page "
            "answers plain HTTP. What crosses the internet in clear text is the page, the "
            "feature values a visitor types and the model's answers; the page has no login, "
            "cookie or secret. "
            + (
                "The server's own calls to the model API go out over HTTPS."
                if api_over_https
                else "The server's calls to the model API go out in plain HTTP too, as the API "
                "has no domain either."
            ),
            web_acl=WebAclLimits(
                requests_per_client_per_5_minutes=settings.requests_per_client_per_5_minutes,
                metric_prefix="Frontend",
                log_retention_days=settings.log_retention_days,
                removal_policy=removal_policy,
            ),
        )
        self.target_group = public.listener.add_targets(
            "App",
            port=APP_PORT,
            protocol=elbv2.ApplicationProtocol.HTTP,
            targets=[self.auto_scaling_group],
            health_check=elbv2.HealthCheck(
                path=HEALTH_CHECK_PATH,
                healthy_threshold_count=2,
                interval=cdk.Duration.seconds(15),
            ),
            deregistration_delay=cdk.Duration.seconds(30),
        )
        if zone is None:
            return public.load_balancer, f"http://{public.load_balancer.load_balancer_dns_name}"
        route53.ARecord(
            self,
            "AliasRecord",
            zone=zone,
            record_name=settings.domain_name,
            target=route53.RecordTarget.from_alias(
                targets.LoadBalancerTarget(public.load_balancer)
            ),
        )
        return public.load_balancer, f"https://{settings.domain_name}"


def _agent_config(*, log_groups: dict[str, str], metrics_namespace: str) -> str:
    """cloudwatch_agent.json with its log group names and metric namespace filled in.

    The file names each log group by its key here ("app", "boot"); the stack knows their
    real names only at deploy time.
    """
    config = json.loads(AGENT_CONFIG.read_text(encoding="utf-8"))
    for entry in config["logs"]["logs_collected"]["files"]["collect_list"]:
        entry["log_group_name"] = log_groups[entry["log_group_name"]]
    config["metrics"]["namespace"] = metrics_namespace
    return json.dumps(config, separators=(",", ":"))
