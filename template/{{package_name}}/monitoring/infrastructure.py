"""The Monitoring stack: the environment's notification topic, the alarms of its components,
a dashboard and a budget."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_budgets as budgets
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as events_targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from ..constants import PROJECT_SLUG
from .settings import MonitoringSettings
from .watch import BucketsWatch, InstanceWatch, NatWatch, ServiceWatch, StateMachineWatch

# The services that publish to the topic: alarms and the rule on failed pipeline runs.
PUBLISHERS = ("cloudwatch.amazonaws.com", "events.amazonaws.com")


class Monitoring(cdk.Stack):
    """Creates the environment's one notification topic (``topic``: alarms and failed pipeline
    runs, e-mailed to ``notification_emails``), an alarm for each thing a team must know of
    the components it is given, a dashboard of them, and an AWS Budgets budget on the
    environment's cost-allocation tags that e-mails the same addresses.

    Exposes ``topic`` and ``alarms`` (by name, without the environment's prefix).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: MonitoringSettings,
        environment_name: str,
        removal_policy: cdk.RemovalPolicy,
        buckets: BucketsWatch | None = None,
        nat: NatWatch | None = None,
        api: ServiceWatch | None = None,
        pipeline: StateMachineWatch | None = None,
        frontend: InstanceWatch | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._settings = settings
        self._prefix = f"{PROJECT_SLUG}-{environment_name}"
        self._period = cdk.Duration.minutes(settings.period_minutes)
        self.topic = self._topic(settings.notification_emails, removal_policy)
        self.alarms: dict[str, cloudwatch.Alarm] = {}
        rows: list[list[cloudwatch.IWidget]] = [
            [
                cloudwatch.TextWidget(
                    markdown=f"# {self._prefix}\nAlarms e-mail the topic's subscribers; "
                    "the budget e-mails the same addresses.",
                    width=24,
                    height=2,
                )
            ]
        ]
        if api is not None:
            rows.append(self._watch_service("api", api))
        if pipeline is not None:
            rows.append(self._watch_pipeline("pipeline", pipeline))
        if frontend is not None:
            rows.append(self._watch_instance("frontend", frontend))
        if nat is not None and nat.nat_gateway_ids:
            rows.append(self._watch_nat(nat))
        if buckets is not None:
            rows.append([self._bucket_sizes(buckets)])
        if self.alarms:
            # By name, so that the dashboard depends on no attribute of the alarms.
            by_name = [
                cloudwatch.Alarm.from_alarm_name(self, f"{key}Status", f"{self._prefix}-{name}")
                for name, key in ((name, alarm.node.id) for name, alarm in self.alarms.items())
            ]
            rows.insert(1, [cloudwatch.AlarmStatusWidget(title="Alarms", alarms=by_name, width=24)])
        self.dashboard = cloudwatch.Dashboard(
            self, "Dashboard", dashboard_name=self._prefix, widgets=rows
        )
        self._budget(settings, environment_name)

        cdk.CfnOutput(self, "TopicArn", value=self.topic.topic_arn)
        cdk.CfnOutput(
            self,
            "DashboardUrl",
            value=f"https://console.aws.amazon.com/cloudwatch/home?region={self.region}"
            f"#dashboards/dashboard/{self._prefix}",
        )

    def _topic(self, emails: list[str], removal_policy: cdk.RemovalPolicy) -> sns.Topic:
        # A key of the project's own: CloudWatch and EventBridge cannot publish to a topic
        # encrypted with the AWS-managed SNS key.
        key = kms.Key(
            self,
            "TopicKey",
            description=f"{PROJECT_SLUG} notification topic",
            enable_key_rotation=True,
            removal_policy=removal_policy,
        )
        for service in PUBLISHERS:
            key.add_to_resource_policy(
                iam.PolicyStatement(
                    principals=[iam.ServicePrincipal(service)],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                    conditions={"StringEquals": {"aws:SourceAccount": self.account}},
                )
            )
        topic = sns.Topic(
            self,
            "Topic",
            display_name=f"{PROJECT_SLUG} notifications",
            master_key=key,
            enforce_ssl=True,
        )
        for address in emails:
            topic.add_subscription(subscriptions.EmailSubscription(address))
        return topic

    def _alarm(
        self,
        name: str,
        metric: cloudwatch.IMetric,
        *,
        threshold: float,
        comparison: cloudwatch.ComparisonOperator,
        description: str,
        missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING,
        periods: int | None = None,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            "".join(part.capitalize() for part in name.split("-")),
            alarm_name=f"{self._prefix}-{name}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=comparison,
            evaluation_periods=periods or self._settings.evaluation_periods,
            treat_missing_data=missing,
        )
        action = cloudwatch_actions.SnsAction(self.topic)
        alarm.add_alarm_action(action)
        alarm.add_ok_action(action)
        self.alarms[name] = alarm
        return alarm

    def _elb_metric(
        self,
        name: str,
        statistic: str,
        watch: ServiceWatch | InstanceWatch,
        *,
        per_target_group: bool = False,
    ) -> cloudwatch.Metric:
        # The full names are attributes of the other stack's resources: plain references,
        # where CDK's own metric helpers would split an ARN of another stack at deploy time.
        dimensions = {"LoadBalancer": watch.load_balancer.load_balancer_full_name}
        if per_target_group:
            dimensions["TargetGroup"] = watch.target_group.target_group_full_name
        return cloudwatch.Metric(
            namespace="AWS/ApplicationELB",
            metric_name=name,
            dimensions_map=dimensions,
            period=self._period,
            statistic=statistic,
        )

    def _load_balancer_errors(self, component: str, watch: ServiceWatch | InstanceWatch) -> None:
        self._alarm(
            f"{component}-load-balancer-5xx",
            self._elb_metric("HTTPCode_ELB_5XX_Count", "Sum", watch),
            threshold=self._settings.load_balancer_5xx_count,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            description=f"The {component}'s load balancer answers errors itself: no healthy "
            "target, or targets that time out (monitoring.load_balancer_5xx_count).",
        )
        self._alarm(
            f"{component}-unhealthy-targets",
            self._elb_metric("UnHealthyHostCount", "Maximum", watch, per_target_group=True),
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            description=f"A target of the {component} fails its load balancer's health check.",
        )

    def _watch_service(self, component: str, watch: ServiceWatch) -> list[cloudwatch.IWidget]:
        requests = self._elb_metric("RequestCount", "Sum", watch, per_target_group=True)
        errors = self._elb_metric("HTTPCode_Target_5XX_Count", "Sum", watch, per_target_group=True)
        error_rate = cloudwatch.MathExpression(
            expression="IF(requests > 0, 100 * errors / requests, 0)",
            using_metrics={"requests": requests, "errors": errors},
            label="5xx answers (%)",
            period=self._period,
        )
        self._alarm(
            f"{component}-5xx-rate",
            error_rate,
            threshold=self._settings.api_5xx_percent,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            description="More of the API's answers are server errors than "
            "monitoring.api_5xx_percent allows.",
        )
        latency = self._elb_metric("TargetResponseTime", "p90", watch, per_target_group=True)
        self._alarm(
            f"{component}-latency-p90",
            latency,
            threshold=self._settings.api_latency_p90_ms / 1000,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
            description="The API's 90th percentile response time is above "
            "monitoring.api_latency_p90_ms.",
        )
        running = cloudwatch.Metric(
            namespace="ECS/ContainerInsights",
            metric_name="RunningTaskCount",
            dimensions_map={
                "ClusterName": watch.service.cluster.cluster_name,
                "ServiceName": watch.service.service_name,
            },
            period=self._period,
            statistic="Minimum",
        )
        self._alarm(
            f"{component}-tasks-below-minimum",
            running,
            threshold=watch.min_tasks,
            comparison=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            # No data: Container Insights sees no task at all.
            missing=cloudwatch.TreatMissingData.BREACHING,
            description=f"Fewer API tasks run than api.min_capacity ({watch.min_tasks}).",
        )
        self._load_balancer_errors(component, watch)
        return [
            cloudwatch.GraphWidget(title="API requests", left=[requests], width=6),
            cloudwatch.GraphWidget(title="API 5xx answers (%)", left=[error_rate], width=6),
            cloudwatch.GraphWidget(title="API response time p90 (s)", left=[latency], width=6),
            cloudwatch.GraphWidget(title="API running tasks", left=[running], width=6),
        ]

    def _watch_pipeline(self, component: str, watch: StateMachineWatch) -> list[cloudwatch.IWidget]:
        machine = watch.state_machine
        failed = machine.metric_failed(period=self._period, statistic="Sum")
        timed_out = machine.metric_timed_out(period=self._period, statistic="Sum")
        succeeded = machine.metric_succeeded(period=self._period, statistic="Sum")
        self._alarm(
            f"{component}-runs-failed",
            failed,
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            periods=1,
            description="A training pipeline run failed; the topic's other message says why.",
        )
        self._alarm(
            f"{component}-runs-timed-out",
            timed_out,
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            periods=1,
            description="A training pipeline run took longer than "
            "pipeline.execution_timeout_minutes.",
        )
        # Published by each run's registry step; a run without a previous one publishes nothing.
        self._alarm(
            f"{component}-drift-detected",
            watch.drift,
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            periods=1,
            description="A training run's features drifted from the previous run's (PSI above "
            "0.2 on a feature); `models show <run>` lists the features.",
        )
        # The failed run itself, with its error and cause, as one message on the topic.
        rule = events.Rule(
            self,
            "PipelineRunEnded",
            description="A training pipeline run failed, timed out or was stopped",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={
                    "stateMachineArn": [machine.state_machine_arn],
                    "status": ["FAILED", "TIMED_OUT", "ABORTED"],
                },
            ),
        )
        rule.add_target(
            events_targets.SnsTopic(
                self.topic,
                message=events.RuleTargetInput.from_object(
                    {
                        "environment": self._prefix,
                        "status": events.EventField.from_path("$.detail.status"),
                        "execution": events.EventField.from_path("$.detail.executionArn"),
                        "error": events.EventField.from_path("$.detail.error"),
                        "cause": events.EventField.from_path("$.detail.cause"),
                    }
                ),
            )
        )
        return [
            cloudwatch.GraphWidget(
                title="Pipeline runs", left=[succeeded, failed, timed_out], width=8
            ),
            cloudwatch.GraphWidget(title="Drift detected", left=[watch.drift], width=8),
            cloudwatch.GraphWidget(
                title="Pipeline run time (ms)",
                left=[machine.metric_time(period=cdk.Duration.hours(1))],
                width=8,
            ),
        ]

    def _watch_instance(self, component: str, watch: InstanceWatch) -> list[cloudwatch.IWidget]:
        status = cloudwatch.Metric(
            namespace="AWS/EC2",
            metric_name="StatusCheckFailed",
            dimensions_map={
                "AutoScalingGroupName": watch.auto_scaling_group.auto_scaling_group_name
            },
            period=self._period,
            statistic="Maximum",
        )
        self._alarm(
            f"{component}-status-check-failed",
            status,
            threshold=1,
            comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            description="The front end's instance fails an EC2 status check.",
        )
        self._load_balancer_errors(component, watch)
        healthy = self._elb_metric("HealthyHostCount", "Minimum", watch, per_target_group=True)
        return [
            cloudwatch.GraphWidget(
                title="Front end requests",
                left=[self._elb_metric("RequestCount", "Sum", watch)],
                width=8,
            ),
            cloudwatch.GraphWidget(title="Front end healthy targets", left=[healthy], width=8),
            cloudwatch.GraphWidget(title="Front end status checks", left=[status], width=8),
        ]

    def _watch_nat(self, nat: NatWatch) -> list[cloudwatch.IWidget]:
        widgets: list[cloudwatch.IWidget] = []
        for number, nat_id in enumerate(nat.nat_gateway_ids, start=1):
            port_errors = cloudwatch.Metric(
                namespace="AWS/NATGateway",
                metric_name="ErrorPortAllocation",
                dimensions_map={"NatGatewayId": nat_id},
                period=self._period,
                statistic="Sum",
            )
            self._alarm(
                f"nat-{number}-port-allocation-errors",
                port_errors,
                threshold=1,
                comparison=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
                description="A NAT gateway ran out of ports: connections to the internet fail.",
            )
            widgets.append(
                cloudwatch.GraphWidget(
                    title=f"NAT gateway {number}: bytes out (billed per GB)",
                    left=[
                        cloudwatch.Metric(
                            namespace="AWS/NATGateway",
                            metric_name="BytesOutToDestination",
                            dimensions_map={"NatGatewayId": nat_id},
                            period=cdk.Duration.hours(1),
                            statistic="Sum",
                        )
                    ],
                    width=12,
                )
            )
        return widgets

    def _bucket_sizes(self, watch: BucketsWatch) -> cloudwatch.IWidget:
        return cloudwatch.GraphWidget(
            title="Data lake size (bytes, S3 Standard; S3 reports it daily)",
            left=[
                cloudwatch.Metric(
                    namespace="AWS/S3",
                    metric_name="BucketSizeBytes",
                    dimensions_map={
                        "BucketName": bucket.bucket_name,
                        "StorageType": "StandardStorage",
                    },
                    period=cdk.Duration.days(1),
                    statistic="Average",
                    label=name,
                )
                for name, bucket in watch.buckets.items()
            ],
            width=24,
        )

    def _budget(self, settings: MonitoringSettings, environment_name: str) -> None:
        def alert(kind: str, percent: int) -> budgets.CfnBudget.NotificationWithSubscribersProperty:
            return budgets.CfnBudget.NotificationWithSubscribersProperty(
                notification=budgets.CfnBudget.NotificationProperty(
                    notification_type=kind,
                    comparison_operator="GREATER_THAN",
                    threshold=percent,
                    threshold_type="PERCENTAGE",
                ),
                subscribers=[
                    budgets.CfnBudget.SubscriberProperty(subscription_type="EMAIL", address=a)
                    for a in settings.notification_emails
                ],
            )

        def tag(key: str, value: str) -> budgets.CfnBudget.ExpressionProperty:
            return budgets.CfnBudget.ExpressionProperty(
                tags=budgets.CfnBudget.TagValuesProperty(
                    key=key, values=[value], match_options=["EQUALS"]
                )
            )

        budgets.CfnBudget(
            self,
            "Budget",
            budget=budgets.CfnBudget.BudgetDataProperty(
                budget_name=self._prefix,
                budget_type="COST",
                time_unit="MONTHLY",
                budget_limit=budgets.CfnBudget.SpendProperty(
                    amount=settings.monthly_budget_usd, unit="USD"
                ),
                # The stage's tags; cost-allocation tags once activated in the Billing console.
                filter_expression=budgets.CfnBudget.ExpressionProperty(
                    and_=[tag("project", PROJECT_SLUG), tag("environment", environment_name)]
                ),
            ),
            notifications_with_subscribers=[
                alert("ACTUAL", settings.budget_actual_percent),
                alert("FORECASTED", settings.budget_forecast_percent),
            ]
            if settings.notification_emails
            else None,
        )
