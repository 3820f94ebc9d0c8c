"""The training pipeline: export, train and import jobs that a Step Functions state machine
runs as Export -> Wait -> Train -> Import, by hand or on a schedule."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..compliance.log_groups import log_group
from ..compliance.nag import acknowledge_compliance, allow_wildcards
from ..compliance.scanners import skip_checkov
from ..constants import PROJECT_SLUG
from ..data_lake import layout
from .settings import FunctionSettings, PipelineSettings

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
JOBS_PACKAGE = "pipeline_jobs"

# Errors a retry cannot fix: the jobs' named errors (runtime/pipeline_jobs/errors.py) and a
# function that ran out of time, which would run out again.
NOT_RETRIED = [
    "ConfigurationError",
    "NoDataError",
    "RunNotFoundError",
    "MalformedCsvError",
    "MissingColumnError",
    "MissingTargetError",
    "NonNumericFeatureError",
    "TooFewRowsError",
    "SingleClassError",
    "Sandbox.Timedout",
]
# ECS could not start the training task (capacity, throttling): worth another try. A task
# that started and failed is not retried, as its exit code cannot tell a data error apart.
ECS_START_ERRORS = ["ECS.AmazonECSException", "AmazonECS.Unknown"]
# The actions of AWS's AWSLambdaVPCAccessExecutionRole policy: Lambda creates the function's
# network interfaces in the subnets it is given, with the function's role.
LAMBDA_VPC_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeSubnets",
    "ec2:DeleteNetworkInterface",
    "ec2:AssignPrivateIpAddresses",
    "ec2:UnassignPrivateIpAddresses",
]


class Pipeline(cdk.Stack):
    """Creates the training pipeline and exposes ``state_machine`` and ``failure_topic``.

    One container image (runtime/, built at deploy time) holds the three jobs. Each runs as a
    Lambda function in the workload subnets, except training when ``training_compute`` is
    fargate: then it runs as an ECS Fargate task that the state machine starts and waits for.
    Each job's role may touch only the data-lake prefixes that job reads or writes, and only
    the import job may change ``models/latest.json`` (the model the API serves) and restart
    the API. The state machine retries what is transient and, on any failure, publishes to
    ``failure_topic`` and fails.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: PipelineSettings,
        vpc: ec2.IVpc,
        workload_subnets: ec2.SubnetSelection,
        data_bucket: s3.IBucket,
        features_bucket: s3.IBucket,
        api_service: ecs.BaseService | None = None,
        removal_policy: cdk.RemovalPolicy,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._settings = settings
        self._removal_policy = removal_policy
        self._data_bucket = data_bucket
        self._features_bucket = features_bucket
        # Roles whose policy has a statement on '*', with the reason, for checkov's CKV_AWS_111.
        self._policies_with_wildcards: list[tuple[iam.IRole, str]] = []

        self._image = ecr_assets.DockerImageAsset(
            self,
            "JobsImage",
            directory=str(RUNTIME_DIR),
            # The functions and the task run on x86_64, whatever machine builds the image.
            platform=ecr_assets.Platform.LINUX_AMD64,
        )
        self._network = {
            "vpc": vpc,
            "vpc_subnets": workload_subnets,
            "security_groups": [self._jobs_security_group(vpc)],
        }
        environment = self._job_environment()

        export_tables = self._function(
            "ExportTables",
            job="export_tables",
            size=settings.export_tables,
            environment=environment,
            description="Pipeline step 1: snapshot the source tables into raw/",
        )
        self._grant_export(export_tables.role)
        export = self._lambda_step(
            "Export",
            export_tables,
            # The run is named after the execution; the execution's input may give
            # dataset_date, or a run_id of its own.
            payload=sfn.TaskInput.from_json_path_at(
                sfn.JsonPath.json_merge(
                    sfn.JsonPath.string_to_json(
                        sfn.JsonPath.format('\\{"run_id": "{}"\\}', sfn.JsonPath.execution_name)
                    ),
                    sfn.JsonPath.object_at("$"),
                )
            ),
        )
        invoked = [export_tables]

        if settings.training_compute == "fargate":
            train: sfn.TaskStateBase = self._fargate_training_step(
                environment=environment, workload_subnets=workload_subnets, vpc=vpc
            )
        else:
            train_model = self._function(
                "TrainModel",
                job="train_model",
                size=settings.train_model,
                environment=environment,
                description="Pipeline step 2: features, model, metrics and drift report",
            )
            self._grant_training(train_model.role)
            # Its input is the export's output.
            train = self._lambda_step("Train", train_model, payload=None)
            invoked.append(train_model)

        import_environment = dict(environment)
        if api_service is not None:
            import_environment["API_CLUSTER_NAME"] = api_service.cluster.cluster_name
            import_environment["API_SERVICE_NAME"] = api_service.service_name
        import_model = self._function(
            "ImportModel",
            job="import_model",
            size=settings.import_model,
            environment=import_environment,
            description="Pipeline step 3: promote the run's model if its metric passes",
        )
        self._grant_import(import_model.role, api_service)
        import_step = self._lambda_step(
            "Import",
            import_model,
            # Only the run id: after a Fargate training the input is the export's output.
            payload=sfn.TaskInput.from_object({"run_id": sfn.JsonPath.string_at("$.run_id")}),
        )
        invoked.append(import_model)

        self.failure_topic = self._failure_topic()
        self.state_machine = self._state_machine(
            export,
            sfn.Wait(
                self,
                "Wait",
                comment="Time between the export and the training (pipeline.wait_seconds)",
                time=sfn.WaitTime.duration(cdk.Duration.seconds(settings.wait_seconds)),
            ),
            train,
            import_step,
        )
        self._acknowledge_orchestration(invoked)
        for role, reason in self._policies_with_wildcards:
            # The role's policy is complete only now: CDK adds the grants of later constructs.
            skip_checkov(role.node.find_child("DefaultPolicy"), "CKV_AWS_111", reason=reason)
        if settings.schedule:
            self._schedule(settings.schedule)

        cdk.CfnOutput(self, "StateMachineArn", value=self.state_machine.state_machine_arn)
        cdk.CfnOutput(
            self,
            "StartCommand",
            description="Starts a run by hand; --name sets its run id",
            value=(
                f"aws stepfunctions start-execution --region {self.region} "
                f"--state-machine-arn {self.state_machine.state_machine_arn}"
            ),
        )
        cdk.CfnOutput(self, "FailureTopicArn", value=self.failure_topic.topic_arn)

    def _state_machine(self, *steps: sfn.TaskStateBase | sfn.Wait) -> sfn.StateMachine:
        """The steps in a row; a failed task notifies ``failure_topic``, then the run fails."""
        on_failure = tasks.SnsPublish(
            self,
            "NotifyFailure",
            topic=self.failure_topic,
            subject=f"{PROJECT_SLUG}: a training pipeline run failed",
            message=sfn.TaskInput.from_object(
                {
                    "execution": sfn.JsonPath.execution_id,
                    "error": sfn.JsonPath.string_at("$.error.Error"),
                    "cause": sfn.JsonPath.string_at("$.error.Cause"),
                }
            ),
            result_path=sfn.JsonPath.DISCARD,
        ).next(sfn.Fail(self, "Failed", error_path="$.error.Error", cause_path="$.error.Cause"))
        chain = sfn.Chain.start(steps[0])
        for step in steps:
            if isinstance(step, sfn.TaskStateBase):
                step.add_catch(on_failure, errors=[sfn.Errors.ALL], result_path="$.error")
            if step is not steps[0]:
                chain = chain.next(step)
        return sfn.StateMachine(
            self,
            "StateMachine",
            comment="Training pipeline: Export -> Wait -> Train -> Import",
            definition_body=sfn.DefinitionBody.from_chainable(chain),
            state_machine_type=sfn.StateMachineType.STANDARD,
            timeout=cdk.Duration.seconds(self._settings.execution_timeout_seconds),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=self._log_group("StateMachineLogs"),
                level=sfn.LogLevel.ALL,
                include_execution_data=True,
            ),
        )

    def _schedule(self, expression: str) -> None:
        role = iam.Role(
            self,
            "ScheduleRole",
            assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com"),
            description="The schedule: starts the training pipeline's state machine",
        )
        _acknowledge_inline_policy(role)
        scheduler.Schedule(
            self,
            "Schedule",
            description=f"Starts the training pipeline: {expression} (UTC)",
            schedule=scheduler.ScheduleExpression.expression(expression),
            target=scheduler_targets.StepFunctionsStartExecution(
                self.state_machine,
                input=scheduler.ScheduleTargetInput.from_object({}),
                role=role,
                # A start that keeps failing is dropped after an hour, not run much later.
                retry_attempts=5,
                max_event_age=cdk.Duration.hours(1),
            ),
        )

    def _jobs_security_group(self, vpc: ec2.IVpc) -> ec2.SecurityGroup:
        group = ec2.SecurityGroup(
            self,
            "JobsSecurityGroup",
            vpc=vpc,
            description="Pipeline jobs: HTTPS out to S3 and AWS APIs, nothing in",
            allow_all_outbound=False,
        )
        # S3 is reached through the VPC's gateway endpoint; other AWS APIs (ECS, and ECR for
        # the Fargate task) through NAT. Without NAT nothing but S3 is routable.
        group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS APIs")
        return group

    def _job_environment(self) -> dict[str, str]:
        """What every job reads (runtime/pipeline_jobs/settings.py), from the config."""
        settings = self._settings
        environment = {
            "DATA_BUCKET": self._data_bucket.bucket_name,
            "FEATURES_BUCKET": self._features_bucket.bucket_name,
            "TARGET_COLUMN": settings.target_column,
            "MIN_TRAINING_ROWS": str(settings.min_training_rows),
            "PROMOTION_METRIC": settings.promotion_metric,
            "PROMOTION_THRESHOLD": str(settings.promotion_threshold),
            "POWERTOOLS_SERVICE_NAME": f"{PROJECT_SLUG}-pipeline",
        }
        if settings.source_tables:
            environment["SOURCE_TABLES"] = json.dumps(
                [{"name": table.name, "uri": table.uri} for table in settings.source_tables]
            )
        if settings.training_table:
            environment["TRAINING_TABLE"] = settings.training_table
        if settings.feature_columns:
            environment["FEATURE_COLUMNS"] = ",".join(settings.feature_columns)
        return environment

    def _log_group(self, construct_id: str) -> logs.LogGroup:
        return log_group(
            self,
            construct_id,
            days=self._settings.log_retention_days,
            removal_policy=self._removal_policy,
        )

    def _function(
        self,
        construct_id: str,
        *,
        job: str,
        size: FunctionSettings,
        environment: dict[str, str],
        description: str,
    ) -> lambda_.DockerImageFunction:
        log_group = self._log_group(f"{construct_id}Logs")
        role = iam.Role(
            self,
            f"{construct_id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{construct_id}: its log group, the VPC, X-Ray, its data-lake prefixes",
        )
        log_group.grant_write(role)
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=LAMBDA_VPC_ACTIONS, resources=["*"])
        )
        vpc_reason = (
            "Only X-Ray's PutTraceSegments and PutTelemetryRecords, and the network interface "
            "actions of AWS's AWSLambdaVPCAccessExecutionRole, which Lambda needs to attach the "
            "function to the VPC: AWS documents both sets on '*'."
        )
        cdk.Validations.of(role).acknowledge(
            cdk.Acknowledgment(id="AwsSolutions-IAM5[Resource::*]", reason=vpc_reason)
        )
        self._policies_with_wildcards.append((role, vpc_reason))
        _acknowledge_inline_policy(role)
        function = lambda_.DockerImageFunction(
            self,
            construct_id,
            description=description,
            code=lambda_.DockerImageCode.from_ecr(
                self._image.repository,
                tag_or_digest=self._image.image_tag,
                cmd=[f"{JOBS_PACKAGE}.{job}.handler"],
            ),
            architecture=lambda_.Architecture.X86_64,
            memory_size=size.memory_mb,
            timeout=cdk.Duration.seconds(size.timeout_seconds),
            environment=environment,
            role=role,
            log_group=log_group,
            tracing=lambda_.Tracing.ACTIVE,
            **self._network,
        )
        self._acknowledge_function(function)
        return function

    def _acknowledge_function(self, function: lambda_.DockerImageFunction) -> None:
        """The exceptions of a job's function, each with its reason."""
        reserved = (
            "A pipeline run invokes the function once, a few runs a day: it never needs to "
            "scale out. Reserving concurrency would take it from the account's unreserved "
            "pool, and a new account's pool of 10 cannot give any: the deploy would fail."
        )
        dead_letters = (
            "Step Functions invokes the function synchronously and handles its failure "
            "(retries, then the failure topic); a dead-letter queue receives only asynchronous "
            "invocations' events, and there are none."
        )
        skip_checkov(function, "CKV_AWS_115", reason=reserved)
        skip_checkov(function, "CKV_AWS_116", reason=dead_letters)
        skip_checkov(
            function,
            "CKV_AWS_173",
            reason="The environment holds bucket names and training settings, no secret; "
            "Lambda encrypts it at rest with its own key.",
        )
        acknowledge_compliance(function, "LambdaConcurrency", reason=reserved)
        acknowledge_compliance(function, "LambdaDLQ", reason=dead_letters)

    def _lambda_step(
        self, construct_id: str, function: lambda_.IFunction, *, payload: sfn.TaskInput | None
    ) -> tasks.LambdaInvoke:
        step = tasks.LambdaInvoke(
            self,
            construct_id,
            lambda_function=function,
            payload=payload,
            # The state's output is what the handler returns: the next step's input.
            output_path="$.Payload",
            # Lambda's own transient errors are retried (2 s, 6 attempts, doubling).
            retry_on_service_exceptions=True,
        )
        step.add_retry(errors=NOT_RETRIED, max_attempts=0)
        step.add_retry(
            errors=[sfn.Errors.TASKS_FAILED],
            interval=cdk.Duration.seconds(10),
            max_attempts=2,
            backoff_rate=3,
            jitter_strategy=sfn.JitterType.FULL,
        )
        return step

    def _fargate_training_step(
        self,
        *,
        environment: dict[str, str],
        workload_subnets: ec2.SubnetSelection,
        vpc: ec2.IVpc,
    ) -> tasks.EcsRunTask:
        size = self._settings.fargate_training
        cluster = ecs.Cluster(
            self,
            "TrainingCluster",
            vpc=vpc,
            container_insights_v2=ecs.ContainerInsights.ENABLED,
        )
        task_role = iam.Role(
            self,
            "TrainingTaskRole",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
            description="TrainingTask: the data-lake prefixes training reads and writes",
        )
        self._grant_training(task_role)
        task_definition = ecs.FargateTaskDefinition(
            self,
            "TrainingTask",
            cpu=size.cpu,
            memory_limit_mib=size.memory_mib,
            runtime_platform=ecs.RuntimePlatform(
                cpu_architecture=ecs.CpuArchitecture.X86_64,
                operating_system_family=ecs.OperatingSystemFamily.LINUX,
            ),
            task_role=task_role,
        )
        # The root file system is read-only, as in Lambda; scratch space is this volume.
        task_definition.add_volume(name="tmp")
        container = task_definition.add_container(
            "train",
            image=ecs.ContainerImage.from_docker_image_asset(self._image),
            entry_point=["python"],
            command=["-m", f"{JOBS_PACKAGE}.train_model"],
            environment={**environment, "AWS_DEFAULT_REGION": self.region},
            logging=ecs.LogDrivers.aws_logs(
                stream_prefix="train", log_group=self._log_group("TrainingTaskLogs")
            ),
            readonly_root_filesystem=True,
        )
        container.add_mount_points(
            ecs.MountPoint(container_path="/tmp", source_volume="tmp", read_only=False)
        )
        cdk.Validations.of(task_definition).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-ECS2",
                reason="The environment holds bucket names and training settings, no secrets; "
                "the task role, not the environment, grants access.",
            ),
            cdk.Acknowledgment(
                id="AwsSolutions-IAM5[Resource::*]",
                reason="The execution role's ecr:GetAuthorizationToken, which ECR documents on "
                "'*'; pulling is limited to the image's repository.",
            ),
        )
        _acknowledge_inline_policy(task_definition)
        _acknowledge_inline_policy(task_role)

        step = tasks.EcsRunTask(
            self,
            "Train",
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,
            cluster=cluster,
            task_definition=task_definition,
            launch_target=tasks.EcsFargateLaunchTarget(
                platform_version=ecs.FargatePlatformVersion.LATEST
            ),
            subnets=workload_subnets,
            security_groups=self._network["security_groups"],
            assign_public_ip=False,
            container_overrides=[
                tasks.ContainerOverride(
                    container_definition=container,
                    environment=[
                        tasks.TaskEnvironmentVariable(
                            name=name, value=sfn.JsonPath.string_at(f"$.{field}")
                        )
                        for name, field in (
                            ("RUN_ID", "run_id"),
                            ("MANIFEST_KEY", "manifest_key"),
                            ("DATASET_DATE", "dataset_date"),
                        )
                    ],
                )
            ],
            task_timeout=sfn.Timeout.duration(cdk.Duration.minutes(size.timeout_minutes)),
            # The task writes its results to S3; the next step needs only the run id it has.
            result_path=sfn.JsonPath.DISCARD,
        )
        step.add_retry(
            errors=ECS_START_ERRORS,
            interval=cdk.Duration.seconds(30),
            max_attempts=3,
            backoff_rate=2,
            jitter_strategy=sfn.JitterType.FULL,
        )
        return step

    def _failure_topic(self) -> sns.Topic:
        topic = sns.Topic(
            self,
            "FailureTopic",
            display_name=f"{PROJECT_SLUG} pipeline failures",
            # The AWS-managed key: the publisher is this account's state machine role.
            master_key=kms.Alias.from_alias_name(self, "SnsManagedKey", "alias/aws/sns"),
            enforce_ssl=True,
        )
        for address in self._settings.notification_emails:
            topic.add_subscription(subscriptions.EmailSubscription(address))
        return topic

    def _allow(
        self, role: iam.IRole, actions: list[str], resources: list[str], **kwargs: Any
    ) -> None:
        role.add_to_principal_policy(
            iam.PolicyStatement(actions=actions, resources=resources, **kwargs)
        )

    def _objects(
        self, role: iam.IRole, bucket: s3.IBucket, prefix: str, actions: list[str], why: str
    ) -> None:
        """Allow ``actions`` on every object under ``prefix`` of ``bucket``."""
        self._allow(role, actions, [bucket.arn_for_objects(f"{prefix}*")])
        allow_wildcards(role, patterns=[rf"Resource::.*/{re.escape(prefix)}\*"], reason=why)

    def _list(self, role: iam.IRole, *buckets: s3.IBucket) -> None:
        # Listing makes S3 answer "no such key" rather than "access denied" for a missing key.
        self._allow(role, ["s3:ListBucket"], [bucket.bucket_arn for bucket in buckets])

    def _grant_export(self, role: iam.IRole) -> None:
        self._objects(
            role,
            self._data_bucket,
            layout.RAW,
            ["s3:PutObject"],
            "Export writes raw/<table>/dt=<date>/<table>.csv and raw/_manifests/<run_id>.json: "
            "the keys are named per table, day and run, under raw/ only.",
        )
        # The team's own tables: exactly these objects, nothing else in their buckets.
        sources = [
            table.uri.removeprefix("s3://").split("/", 1)
            for table in self._settings.source_tables
            if table.uri.startswith("s3://")
        ]
        if sources:
            arn = f"arn:{self.partition}:s3:::"
            self._allow(role, ["s3:GetObject"], [f"{arn}{bucket}/{key}" for bucket, key in sources])
            self._allow(
                role, ["s3:ListBucket"], [f"{arn}{b}" for b in sorted({b for b, _ in sources})]
            )

    def _grant_training(self, role: iam.IRole) -> None:
        data, features = self._data_bucket, self._features_bucket
        self._list(role, data, features)
        self._objects(
            role,
            data,
            layout.RAW,
            ["s3:GetObject", "s3:GetObjectVersion"],
            "Training reads the run's manifest and the exact version of the table it lists, "
            "both named per run under raw/.",
        )
        for prefix, what in (
            (layout.MODELS, "models/<run_id>/"),
            (layout.DRIFT_REPORTS, "drift_reports/<run_id>.json"),
            (layout.TRAINING_RESULTS, "training_results/<run_id>.json"),
        ):
            self._objects(
                role,
                data,
                prefix,
                ["s3:PutObject"],
                f"Training writes {what}, named per run.",
            )
        # Only the import step promotes a model: training may not touch the serving pointer.
        self._allow(
            role,
            ["s3:PutObject", "s3:DeleteObject"],
            [data.arn_for_objects(layout.SERVING_POINTER)],
            effect=iam.Effect.DENY,
        )
        self._objects(
            role,
            features,
            layout.FEATURES,
            ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
            "Training writes features/<table>/latest.csv and reads its previous version to "
            "measure drift; tables are named by the team's config.",
        )
        self._allow(
            role,
            ["s3:ListBucketVersions"],
            [features.bucket_arn],
            conditions={"StringLike": {"s3:prefix": f"{layout.FEATURES}*"}},
        )

    def _grant_import(self, role: iam.IRole, api_service: ecs.BaseService | None) -> None:
        data = self._data_bucket
        self._list(role, data)
        self._objects(
            role,
            data,
            layout.MODELS,
            ["s3:GetObject"],
            "Import reads models/<run_id>/metadata.json of the run it is given, and the "
            "current pointer models/latest.json.",
        )
        self._allow(role, ["s3:PutObject"], [data.arn_for_objects(layout.SERVING_POINTER)])
        if api_service is not None:
            # A new deployment makes the API's tasks load the promoted model.
            self._allow(role, ["ecs:UpdateService"], [api_service.service_arn])

    def _acknowledge_orchestration(self, functions: list[lambda_.IFunction]) -> None:
        role = self.state_machine.role
        ecs_actions = (
            ", and ECS's DescribeTasks and StopTask on the training task it starts"
            if self._settings.training_compute == "fargate"
            else ""
        )
        reason = (
            "The state machine's log delivery to CloudWatch Logs and its X-Ray "
            f"tracing{ecs_actions}: AWS documents these actions on '*'."
        )
        cdk.Validations.of(role).acknowledge(
            cdk.Acknowledgment(id="AwsSolutions-IAM5[Resource::*]", reason=reason)
        )
        self._policies_with_wildcards.append((role, reason))
        _acknowledge_inline_policy(role)
        allow_wildcards(
            role,
            patterns=[
                rf"Resource::<{self.get_logical_id(f.node.default_child)}\.Arn>:\*"
                for f in functions
            ],
            reason="Invokes the pipeline's own functions, in any of their versions.",
        )


def _acknowledge_inline_policy(construct: Construct) -> None:
    acknowledge_compliance(
        construct,
        "IAMNoInlinePolicy",
        reason="The policy holds CDK's grants to this one role: created, changed and deleted "
        "with it, attachable to no other principal, naming only the resources this step uses.",
    )
