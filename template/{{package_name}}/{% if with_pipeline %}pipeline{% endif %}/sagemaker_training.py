"""Training as a SageMaker training job (training_compute: sagemaker), for training that needs
a GPU, a large instance or spot capacity: the job's role, and the step that creates the job
and waits for it. The job runs the pipeline's own image and the same training code as the
Lambda function and the Fargate task."""

from __future__ import annotations

import hashlib
import re

import aws_cdk as cdk
from aws_cdk import aws_ecr_assets as ecr_assets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..compliance.nag import allow_wildcards
from ..constants import stage_name
from ..data_lake import layout
from .grants import acknowledge_inline_policy, grant_training, grant_training_job_output
from .jobs import JOBS_PACKAGE, JobNetwork
from .settings import SAGEMAKER_START_SECONDS, SageMakerTrainingSettings

# SageMaker's log group of every training job in the account and region; SageMaker creates
# it on the first job. Its streams are named <job name>/algo-1-<time>.
TRAINING_LOG_GROUP = "/aws/sagemaker/TrainingJobs"
# The rule Step Functions keeps in the account to learn that a training job ended (.sync);
# AWS documents the state machine's permissions on it by this name.
SYNC_RULE = "StepFunctionsGetEventsForSageMakerTrainingJobsRule"
# The network interface actions SageMaker documents for a training job in a VPC (the
# CreateTrainingJob execution role's permissions): it attaches the job with the job's role.
# Of them, the interface permissions are held to network interfaces (SAGEMAKER_ENI_PERMISSIONS).
SAGEMAKER_VPC_ACTIONS = [
    "ec2:CreateNetworkInterface",
    "ec2:DeleteNetworkInterface",
    "ec2:DescribeNetworkInterfaces",
    "ec2:DescribeVpcs",
    "ec2:DescribeDhcpOptions",
    "ec2:DescribeSubnets",
    "ec2:DescribeSecurityGroups",
]
SAGEMAKER_ENI_PERMISSIONS = [
    "ec2:CreateNetworkInterfacePermission",
    "ec2:DeleteNetworkInterfacePermission",
]
# The job's name is <prefix>-<MD5 of the run id, 32 hex digits>: SageMaker takes 63 letters,
# digits and '-' at most, a run id up to 128 characters with '.' and '_' as well. The
# policies name the jobs as exactly that: the prefix and 32 characters.
JOB_PREFIX_MAX = 63 - 1 - 32
RUN_HASH = "?" * 32


def training_job_prefix(environment: str) -> str:
    """The names of one environment's training jobs start with this: the project and the
    environment, shortened with a hash of both where they are long (job names are unique per
    account and region, which environments may share)."""
    name = re.sub(r"[^A-Za-z0-9-]", "-", stage_name(environment)).strip("-")
    if len(name) <= JOB_PREFIX_MAX:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: JOB_PREFIX_MAX - 9].rstrip('-')}-{digest}"


def sagemaker_training_step(
    scope: Construct,
    *,
    size: SageMakerTrainingSettings,
    image: ecr_assets.DockerImageAsset,
    network: JobNetwork,
    environment: dict[str, str],
    environment_name: str,
    data_bucket: s3.IBucket,
    features_bucket: s3.IBucket,
) -> tuple[sfn.CustomState, iam.Role, str]:
    """The Train step: creates a SageMaker training job of ``image`` in the workload subnets,
    with the run's ids from the state's input, and waits for it to end (.sync). Returns the
    step, the job's role and the prefix of the jobs' names."""
    stack = cdk.Stack.of(scope)
    prefix = training_job_prefix(environment_name)
    role = iam.Role(
        scope,
        "TrainingJobRole",
        assumed_by=iam.ServicePrincipal("sagemaker.amazonaws.com"),
        description="TrainingJob: its data-lake prefixes, its image, its logs, the VPC",
    )
    grant_training(role, data_bucket=data_bucket, features_bucket=features_bucket)
    grant_training_job_output(role, data_bucket=data_bucket, shares_search=size.instance_count > 1)
    image.repository.grant_pull(role)
    logs_arn = stack.format_arn(
        service="logs",
        resource="log-group",
        resource_name=TRAINING_LOG_GROUP,
        arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogGroup", "logs:DescribeLogStreams"], resources=[logs_arn]
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"],
            resources=[f"{logs_arn}:log-stream:{prefix}-{RUN_HASH}/*"],
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"],
            resources=["*"],
            conditions={"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
        )
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=SAGEMAKER_VPC_ACTIONS, resources=["*"])
    )
    role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=SAGEMAKER_ENI_PERMISSIONS,
            resources=[
                stack.format_arn(service="ec2", resource="network-interface", resource_name="*")
            ],
        )
    )
    allow_wildcards(
        role,
        patterns=[r"Resource::arn:.+:ec2:.+:network-interface/\*"],
        actions=SAGEMAKER_ENI_PERMISSIONS,
        reason="SageMaker lets its training instances use the network interfaces it creates "
        "for the job in the VPC, whose IDs are unknown before the job.",
    )
    allow_wildcards(
        role,
        patterns=[r"Resource::\*"],
        actions=["ecr:GetAuthorizationToken", "cloudwatch:PutMetricData", *SAGEMAKER_VPC_ACTIONS],
        reason="What SageMaker documents for a training job's role on '*': the token that "
        "pulls the image (pulling is limited to the image's repository), the job's metrics "
        "(held to SageMaker's namespaces by a condition) and the network interfaces that "
        "attach the job to the VPC.",
        checkov_checks=["CKV_AWS_111"],
    )
    allow_wildcards(
        role,
        patterns=[r"Resource::arn:.+:log-stream:[A-Za-z0-9-]+-\?{32}/\*"],
        actions=["logs:CreateLogStream", "logs:PutLogEvents"],
        reason="The log streams of this environment's training jobs in SageMaker's log group: "
        "each stream is named after its job.",
    )
    acknowledge_inline_policy(role)

    job_environment = {
        name: value
        for name, value in environment.items()
        # The source tables are the export's; a query may be longer than SageMaker allows.
        if name not in ("SOURCE_TABLES", "ATHENA_WORKGROUP", "ATHENA_DATABASE")
    }
    subnets = network.vpc.select_subnets(
        subnet_type=network.subnets.subnet_type,
        subnet_group_name=network.subnets.subnet_group_name,
    ).subnet_ids
    runtime = size.max_runtime_minutes * 60
    stopping: dict[str, int] = {"MaxRuntimeInSeconds": runtime}
    if size.instance_count > 1:
        # The first host gives up on the others' trials by then, keeping the rest of the run
        # (a tenth, at least a minute) for the refit, the model and the failure reason.
        job_environment["TRIALS_WAIT_SECONDS"] = str(max(runtime - max(60, runtime // 10), 0))
    if size.spot:
        stopping["MaxWaitTimeInSeconds"] = size.max_wait_minutes * 60
    parameters: dict[str, object] = {
        "TrainingJobName.$": f"States.Format('{prefix}-{{}}', States.Hash($.run_id, 'MD5'))",
        "RoleArn": role.role_arn,
        "AlgorithmSpecification": {
            "TrainingImage": image.image_uri,
            "TrainingInputMode": "File",
            # SageMaker would run `<image entry point> train`; the Lambda base image's entry
            # point is Lambda's runtime. Its Python is /var/lang/bin/python3, first on its
            # PATH, and WORKDIR /var/task holds the jobs and their dependencies, so -m finds
            # them (aws/aws-lambda-base-images, Dockerfile); the module also takes `train`.
            "ContainerEntrypoint": ["python3", "-m", f"{JOBS_PACKAGE}.train_model"],
        },
        "Environment": {
            **job_environment,
            "AWS_DEFAULT_REGION": stack.region,
            "RUN_ID.$": "$.run_id",
            "MANIFEST_KEY.$": "$.manifest_key",
            "DATASET_DATE.$": "$.dataset_date",
        },
        "ResourceConfig": {
            "InstanceType": size.instance_type,
            # More than one: the hosts split the hyperparameter search and exchange trials
            # through S3 only (training_jobs/<run_id>/trials/), so no traffic between the
            # containers is needed and the security group stays closed to inbound.
            "InstanceCount": size.instance_count,
            "VolumeSizeInGB": size.volume_size_gb,
        },
        "StoppingCondition": stopping,
        "OutputDataConfig": {
            "S3OutputPath": data_bucket.s3_url_for_object(f"{layout.TRAINING_JOBS}output")
        },
        "VpcConfig": {
            "Subnets": subnets,
            "SecurityGroupIds": [network.security_group.security_group_id],
        },
        "EnableManagedSpotTraining": size.spot,
    }
    if size.spot:
        parameters["CheckpointConfig"] = {
            "S3Uri.$": (
                "States.Format('"
                + data_bucket.s3_url_for_object(f"{layout.TRAINING_JOBS}checkpoints")
                + "/{}', $.run_id)"
            )
        }
    step = sfn.CustomState(
        scope,
        "Train",
        state_json={
            "Type": "Task",
            "Comment": "Runs the training as a SageMaker training job and waits for it",
            "Resource": f"arn:{stack.partition}:states:::sagemaker:createTrainingJob.sync",
            "Parameters": parameters,
            "TimeoutSeconds": size.timeout_minutes * 60 + SAGEMAKER_START_SECONDS,
            # The job writes its results to S3; the next step needs only the run id it has.
            "ResultPath": None,
        },
    )
    # SageMaker could not create the job (throttling, capacity of the instance type): worth
    # another try. A job that started and failed is not retried.
    step.add_retry(
        errors=["SageMaker.AmazonSageMakerException"],
        interval=cdk.Duration.seconds(30),
        max_attempts=3,
        backoff_rate=2,
        jitter_strategy=sfn.JitterType.FULL,
    )
    return step, role, prefix


def grant_start_training(
    state_machine_role: iam.IRole, *, training_role: iam.IRole, prefix: str
) -> None:
    """What the state machine needs to run training jobs named ``prefix``-* with
    ``training_role`` and wait for them (.sync), as AWS documents for Step Functions."""
    stack = cdk.Stack.of(state_machine_role)
    # Exactly the names the step gives its jobs: no wildcard but the hash's 32 characters.
    jobs = stack.format_arn(
        service="sagemaker", resource="training-job", resource_name=f"{prefix}-{RUN_HASH}"
    )
    state_machine_role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=[
                "sagemaker:CreateTrainingJob",
                "sagemaker:DescribeTrainingJob",
                "sagemaker:StopTrainingJob",
                "sagemaker:ListTags",
            ],
            resources=[jobs],
        )
    )
    state_machine_role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["iam:PassRole"],
            resources=[training_role.role_arn],
            conditions={"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}},
        )
    )
    state_machine_role.add_to_principal_policy(
        iam.PolicyStatement(
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[
                stack.format_arn(service="events", resource="rule", resource_name=SYNC_RULE)
            ],
        )
    )
