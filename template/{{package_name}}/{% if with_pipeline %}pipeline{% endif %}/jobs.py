"""The pipeline's jobs as Lambda functions: one container image of runtime/ holds every job;
each runs as a function in the workload subnets with a role and a log group of its own, and
a Step Functions task invokes it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..compliance.log_groups import log_group
from ..compliance.nag import acknowledge_compliance, allow_wildcards
from ..compliance.scanners import skip_checkov
from ..constants import PROJECT_SLUG
from ..data_lake.catalog import LakeQueries
from .grants import acknowledge_inline_policy
from .settings import FunctionSettings, PipelineSettings

RUNTIME_DIR = Path(__file__).resolve().parent / "runtime"
JOBS_PACKAGE = "pipeline_jobs"
# The user the training task runs as: numeric, so it needs no account in the image; the
# image builds its scratch folder for it (runtime/Dockerfile, TASK_USER).
TASK_USER = "10001:10001"

# Errors a retry cannot fix: the jobs' named errors (runtime/pipeline_jobs/errors.py) and a
# function that ran out of time, which would run out again.
NOT_RETRIED = [
    "ConfigurationError",
    "NoDataError",
    "RunNotFoundError",
    "RunExistsError",
    "RunInProgressError",
    "MalformedCsvError",
    "MissingColumnError",
    "MissingTargetError",
    "NonNumericFeatureError",
    "TooFewRowsError",
    "SingleClassError",
    "SourceQueryError",
    "SourceQueryTimeoutError",
    "Sandbox.Timedout",
]
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
# What a traced function (or state machine) writes to X-Ray; X-Ray has no resource-level
# permissions for them.
XRAY_WRITE_ACTIONS = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]


@dataclass(frozen=True, kw_only=True)
class JobNetwork:
    """Where the jobs run: the workload subnets of the VPC, in the jobs' security group."""

    vpc: ec2.IVpc
    subnets: ec2.SubnetSelection
    security_group: ec2.ISecurityGroup


@dataclass(frozen=True, kw_only=True)
class LogRetention:
    """How long the pipeline's log groups keep their logs, and whether they outlive the stack."""

    days: int
    removal_policy: cdk.RemovalPolicy

    def new_log_group(self, scope: Construct, construct_id: str) -> logs.LogGroup:
        return log_group(scope, construct_id, days=self.days, removal_policy=self.removal_policy)


def jobs_image(scope: Construct) -> ecr_assets.DockerImageAsset:
    """The image of runtime/ with every job, built at deploy time."""
    return ecr_assets.DockerImageAsset(
        scope,
        "JobsImage",
        directory=str(RUNTIME_DIR),
        # The functions and the task run on x86_64, whatever machine builds the image.
        platform=ecr_assets.Platform.LINUX_AMD64,
        build_args={"TASK_USER": TASK_USER},
    )


def jobs_network(scope: Construct, *, vpc: ec2.IVpc, subnets: ec2.SubnetSelection) -> JobNetwork:
    """The workload subnets, and a security group that lets the jobs out on HTTPS only."""
    group = ec2.SecurityGroup(
        scope,
        "JobsSecurityGroup",
        vpc=vpc,
        description="Pipeline jobs: HTTPS out to S3 and AWS APIs, nothing in",
        allow_all_outbound=False,
    )
    # S3 is reached through the VPC's gateway endpoint; other AWS APIs (ECS, and ECR for
    # the Fargate task) through NAT. Without NAT nothing but S3 is routable.
    group.add_egress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS to AWS APIs")
    return JobNetwork(vpc=vpc, subnets=subnets, security_group=group)


def job_environment(
    settings: PipelineSettings,
    *,
    data_bucket: s3.IBucket,
    features_bucket: s3.IBucket,
    lake_queries: LakeQueries,
) -> dict[str, str]:
    """What every job reads (runtime/pipeline_jobs/settings.py), from the config."""
    environment = {
        "DATA_BUCKET": data_bucket.bucket_name,
        "FEATURES_BUCKET": features_bucket.bucket_name,
        "TASK_TYPE": settings.task_type,
        "TARGET_COLUMN": settings.target_column,
        "MIN_TRAINING_ROWS": str(settings.min_training_rows),
        "PROMOTION_METRIC": settings.promotion_metric,
        "PROMOTION_THRESHOLD": str(settings.promotion_threshold),
        "DRIFT_PSI_THRESHOLD": str(settings.drift_psi_threshold),
        "POWERTOOLS_SERVICE_NAME": f"{PROJECT_SLUG}-pipeline",
        "ATHENA_WORKGROUP": lake_queries.workgroup_name,
        "ATHENA_DATABASE": lake_queries.database_name,
    }
    if settings.source_tables:
        environment["SOURCE_TABLES"] = json.dumps(
            [
                {"name": table.name, "query": table.query}
                if table.query
                else {"name": table.name, "uri": table.uri}
                for table in settings.source_tables
            ]
        )
    if settings.training_table:
        environment["TRAINING_TABLE"] = settings.training_table
    if settings.feature_columns:
        environment["FEATURE_COLUMNS"] = ",".join(settings.feature_columns)
    if settings.categorical_columns:
        environment["CATEGORICAL_COLUMNS"] = ",".join(settings.categorical_columns)
    if settings.model.name:
        environment["MODEL"] = settings.model.name
    if settings.model.params:
        environment["MODEL_PARAMS"] = json.dumps(settings.model.params, sort_keys=True)
    if settings.search.trials:
        environment["SEARCH_TRIALS"] = str(settings.search.trials)
        environment["SEARCH_FOLDS"] = str(settings.search.folds)
    return environment


def job_function(
    scope: Construct,
    construct_id: str,
    *,
    job: str,
    size: FunctionSettings,
    image: ecr_assets.DockerImageAsset,
    network: JobNetwork,
    environment: dict[str, str],
    description: str,
    retention: LogRetention,
    invoked_by_hand: bool = False,
) -> lambda_.DockerImageFunction:
    """The function that runs ``job`` (a module of runtime/pipeline_jobs/), with a role that
    may write its log group and attach it to the VPC; the caller grants it its data.
    ``invoked_by_hand``: a team's command invokes it, not the state machine."""
    function_logs = retention.new_log_group(scope, f"{construct_id}Logs")
    role = iam.Role(
        scope,
        f"{construct_id}Role",
        assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
        description=f"{construct_id}: its log group, the VPC, X-Ray, its data-lake prefixes",
    )
    function_logs.grant_write(role)
    role.add_to_principal_policy(iam.PolicyStatement(actions=LAMBDA_VPC_ACTIONS, resources=["*"]))
    vpc_reason = (
        "Only X-Ray's PutTraceSegments and PutTelemetryRecords, and the network interface "
        "actions of AWS's AWSLambdaVPCAccessExecutionRole, which Lambda needs to attach the "
        "function to the VPC: AWS documents both sets on '*'."
    )
    allow_wildcards(
        role,
        patterns=[r"Resource::\*"],
        actions=[*LAMBDA_VPC_ACTIONS, *XRAY_WRITE_ACTIONS],
        reason=vpc_reason,
        checkov_checks=["CKV_AWS_111"],
    )
    acknowledge_inline_policy(role)
    function = lambda_.DockerImageFunction(
        scope,
        construct_id,
        description=description,
        code=lambda_.DockerImageCode.from_ecr(
            image.repository,
            tag_or_digest=image.image_tag,
            cmd=[f"{JOBS_PACKAGE}.{job}.handler"],
        ),
        architecture=lambda_.Architecture.X86_64,
        memory_size=size.memory_mb,
        timeout=cdk.Duration.seconds(size.timeout_seconds),
        environment=environment,
        role=role,
        log_group=function_logs,
        tracing=lambda_.Tracing.ACTIVE,
        vpc=network.vpc,
        vpc_subnets=network.subnets,
        security_groups=[network.security_group],
    )
    _acknowledge_function(function, invoked_by_hand=invoked_by_hand)
    return function


def _acknowledge_function(function: lambda_.DockerImageFunction, *, invoked_by_hand: bool) -> None:
    """The exceptions of a job's function, each with its reason."""
    invocations = (
        "The models command invokes the function by hand, a few files a day"
        if invoked_by_hand
        else "A pipeline run invokes the function once, a few runs a day"
    )
    reserved = (
        f"{invocations}: it never needs to scale out. Reserving concurrency would take it "
        "from the account's unreserved pool, and a new account's pool of 10 cannot give any: "
        "the deploy would fail."
    )
    dead_letters = (
        "The models command invokes the function synchronously and reports its failure"
        if invoked_by_hand
        else "Step Functions invokes the function synchronously and handles its failure "
        "(retries, then the failure topic)"
    ) + "; a dead-letter queue receives only asynchronous invocations' events, and there are none."
    skip_checkov(function, "CKV_AWS_115", reason=reserved)
    skip_checkov(function, "CKV_AWS_116", reason=dead_letters)
    skip_checkov(
        function,
        "CKV_AWS_173",
        reason="The environment holds bucket names and training settings, no secret; "
        "Lambda encrypts it at rest with its own key.",
    )
    skip_checkov(
        function,
        "CKV_AWS_45",
        reason="checkov reads the template's own path (its __file__ annotation) as one of the "
        "environment's values, and where the names of project and environment make 40 "
        "letters, digits and slashes in a row of it (project 'three envs', staging) takes it "
        "for an AWS secret key. tests/test_app.py checks the environment's own values with "
        "checkov's secret patterns instead.",
    )
    acknowledge_compliance(function, "LambdaConcurrency", reason=reserved)
    acknowledge_compliance(function, "LambdaDLQ", reason=dead_letters)


def invoke_step(
    scope: Construct,
    construct_id: str,
    function: lambda_.IFunction,
    *,
    payload: sfn.TaskInput | None,
    keep_input: bool = False,
) -> tasks.LambdaInvoke:
    """The step that invokes ``function`` with ``payload`` (None: the state's input) and
    passes on what it returns (``keep_input``: its own input); it retries what may pass on
    another try."""
    step = tasks.LambdaInvoke(
        scope,
        construct_id,
        lambda_function=function,
        payload=payload,
        # The state's output is what the handler returns: the next step's input.
        **({"result_path": sfn.JsonPath.DISCARD} if keep_input else {"output_path": "$.Payload"}),
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
