"""Training as an ECS Fargate task (training_compute: fargate), for training that outgrows
Lambda: its cluster, its task and roles, and the step that runs it and waits for it."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..compliance.nag import allow_wildcards
from .grants import acknowledge_inline_policy, grant_training
from .jobs import JOBS_PACKAGE, TASK_USER, JobNetwork, LogRetention
from .settings import FargateTrainingSettings

# ECS could not start the training task (capacity, throttling): worth another try. A task
# that started and failed is not retried, as its exit code cannot tell a data error apart.
ECS_START_ERRORS = ["ECS.AmazonECSException", "AmazonECS.Unknown"]


def fargate_training_step(
    scope: Construct,
    *,
    size: FargateTrainingSettings,
    image: ecr_assets.DockerImageAsset,
    network: JobNetwork,
    environment: dict[str, str],
    data_bucket: s3.IBucket,
    features_bucket: s3.IBucket,
    retention: LogRetention,
) -> tuple[tasks.EcsRunTask, ecs.Cluster]:
    """The Train step: runs the training job of ``image`` as a Fargate task in the workload
    subnets, with the run's ids from the state's input, and waits for it to end. Returns the
    step and the cluster its tasks run in."""
    cluster = ecs.Cluster(
        scope,
        "TrainingCluster",
        vpc=network.vpc,
        container_insights_v2=ecs.ContainerInsights.ENABLED,
    )
    task_role = iam.Role(
        scope,
        "TrainingTaskRole",
        assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com"),
        description="TrainingTask: the data-lake prefixes training reads and writes",
    )
    grant_training(task_role, data_bucket=data_bucket, features_bucket=features_bucket)
    task_definition = ecs.FargateTaskDefinition(
        scope,
        "TrainingTask",
        cpu=size.cpu,
        memory_limit_mib=size.memory_mib,
        runtime_platform=ecs.RuntimePlatform(
            cpu_architecture=ecs.CpuArchitecture.X86_64,
            operating_system_family=ecs.OperatingSystemFamily.LINUX,
        ),
        task_role=task_role,
    )
    # The root file system is read-only, as in Lambda; scratch space is this volume, which
    # the image declares at /tmp and owns by TASK_USER so that the task can write to it.
    task_definition.add_volume(name="tmp")
    container = task_definition.add_container(
        "train",
        image=ecs.ContainerImage.from_docker_image_asset(image),
        # The Lambda base image puts its Python in /var/lang/bin, first on its PATH, and
        # installs CPython's python3 name (not "python"); WORKDIR /var/task holds the jobs
        # and their dependencies, so -m finds them (aws/aws-lambda-base-images, Dockerfile).
        entry_point=["python3"],
        command=["-m", f"{JOBS_PACKAGE}.train_model"],
        environment={**environment, "AWS_DEFAULT_REGION": cdk.Stack.of(scope).region},
        logging=ecs.LogDrivers.aws_logs(
            stream_prefix="train", log_group=retention.new_log_group(scope, "TrainingTaskLogs")
        ),
        readonly_root_filesystem=True,
        # Not root: the image's code and dependencies stay root's, read-only to the task.
        user=TASK_USER,
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
    )
    allow_wildcards(
        task_definition.obtain_execution_role(),
        patterns=[r"Resource::\*"],
        actions=["ecr:GetAuthorizationToken"],
        reason="ecr:GetAuthorizationToken, which pulls the image, has no resource-level "
        "permissions; pulling is limited to the image's repository.",
    )
    acknowledge_inline_policy(task_definition)
    acknowledge_inline_policy(task_role)

    step = tasks.EcsRunTask(
        scope,
        "Train",
        integration_pattern=sfn.IntegrationPattern.RUN_JOB,
        cluster=cluster,
        task_definition=task_definition,
        launch_target=tasks.EcsFargateLaunchTarget(
            platform_version=ecs.FargatePlatformVersion.LATEST
        ),
        subnets=network.subnets,
        security_groups=[network.security_group],
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
    return step, cluster
