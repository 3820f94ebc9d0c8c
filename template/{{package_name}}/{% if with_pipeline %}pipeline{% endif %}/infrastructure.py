"""The training pipeline: export, train and registry jobs that a Step Functions state machine
runs as Claim -> Export -> Wait -> Train -> Import (-> AwaitApproval) -> Release, one run at a
time, by hand or on a schedule, and the batch scoring function. The stack composes the parts
that jobs.py, training_task.py, grants.py and orchestration.py build."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..data_lake.catalog import LakeQueries
from .catalog import lake_catalog
from .grants import (
    grant_export,
    grant_import,
    grant_scoring,
    grant_source_queries,
    grant_training,
)
from .jobs import (
    LogRetention,
    invoke_step,
    job_environment,
    job_function,
    jobs_image,
    jobs_network,
)
from .metrics import DRIFT_METRIC_NAME, METRIC_NAMESPACE
from .orchestration import (
    RegistrySteps,
    acknowledge_orchestration,
    pipeline_schedule,
    pipeline_state_machine,
)
from .sagemaker_training import grant_start_training, sagemaker_training_step
from .settings import PipelineSettings
from .training_task import fargate_training_step


class Pipeline(cdk.Stack):
    """Creates the training pipeline and exposes ``state_machine``.

    One container image (runtime/, built at deploy time) holds the jobs. Each runs as a
    Lambda function in the workload subnets, except training when ``training_compute`` is
    fargate or sagemaker: then it runs as an ECS Fargate task or a SageMaker training job
    that the state machine starts and waits for.
    Each job's role may touch only the data-lake prefixes that job reads or writes, and only
    the registry step (ImportModel) may mark a champion, change ``models/latest.json`` (the
    model the API serves) and restart the API. The state machine runs one execution at a time,
    retries what is transient and, on any failure, releases the pipeline and fails; the
    monitoring component e-mails the failed run.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: PipelineSettings,
        environment_name: str,
        vpc: ec2.IVpc,
        workload_subnets: ec2.SubnetSelection,
        data_bucket: s3.IBucket,
        features_bucket: s3.IBucket,
        lake_queries: LakeQueries,
        api_service: ecs.BaseService | None = None,
        removal_policy: cdk.RemovalPolicy,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        image = jobs_image(self)
        network = jobs_network(self, vpc=vpc, subnets=workload_subnets)
        retention = LogRetention(days=settings.log_retention_days, removal_policy=removal_policy)
        environment = job_environment(
            settings,
            data_bucket=data_bucket,
            features_bucket=features_bucket,
            lake_queries=lake_queries,
        )
        self.tables = lake_catalog(
            self,
            queries=lake_queries,
            data_bucket=data_bucket,
            source_tables=settings.source_tables,
        )

        export_tables = job_function(
            self,
            "ExportTables",
            job="export_tables",
            size=settings.export_tables,
            environment=environment,
            description="Pipeline step 1: snapshot the source tables into raw/",
            image=image,
            network=network,
            retention=retention,
        )
        grant_export(
            export_tables.role, data_bucket=data_bucket, source_tables=settings.source_tables
        )
        if any(table.query for table in settings.source_tables):
            grant_source_queries(
                export_tables.role, data_bucket=data_bucket, lake_queries=lake_queries
            )
        # Its input is the Claim step's output: the run id and the execution's input.
        export = invoke_step(self, "Export", export_tables, payload=None)
        invoked = [export_tables]

        training_cluster: ecs.ICluster | None = None
        training_job: tuple[iam.Role, str] | None = None
        train: sfn.TaskStateBase | sfn.CustomState
        if settings.training_compute == "fargate":
            train, training_cluster = fargate_training_step(
                self,
                size=settings.fargate_training,
                environment=environment,
                data_bucket=data_bucket,
                features_bucket=features_bucket,
                image=image,
                network=network,
                retention=retention,
            )
        elif settings.training_compute == "sagemaker":
            train, job_role, job_prefix = sagemaker_training_step(
                self,
                size=settings.sagemaker_training,
                environment=environment,
                environment_name=environment_name,
                data_bucket=data_bucket,
                features_bucket=features_bucket,
                image=image,
                network=network,
            )
            training_job = (job_role, job_prefix)
        else:
            train_model = job_function(
                self,
                "TrainModel",
                job="train_model",
                size=settings.train_model,
                environment=environment,
                description="Pipeline step 2: features, model, metrics and drift report",
                image=image,
                network=network,
                retention=retention,
            )
            grant_training(
                train_model.role, data_bucket=data_bucket, features_bucket=features_bucket
            )
            # Its input is the export's output.
            train = invoke_step(self, "Train", train_model, payload=None)
            invoked.append(train_model)

        import_environment = {
            **environment,
            "PROMOTION_MARGIN": str(settings.promotion_margin),
            "PROMOTION_MODE": settings.promotion,
            "DRIFT_BLOCKS_PROMOTION": str(settings.drift_blocks_promotion).lower(),
            "LOCK_SECONDS": str(settings.execution_timeout_seconds),
            "METRIC_NAMESPACE": METRIC_NAMESPACE,
            "DRIFT_METRIC_NAME": DRIFT_METRIC_NAME,
            "ENVIRONMENT": environment_name,
        }
        if api_service is not None:
            import_environment["API_CLUSTER_NAME"] = api_service.cluster.cluster_name
            import_environment["API_SERVICE_NAME"] = api_service.service_name
        import_model = job_function(
            self,
            "ImportModel",
            job="import_model",
            size=settings.import_model,
            environment=import_environment,
            description="Pipeline registry step: claim the run, promote its model if it beats "
            "the champion, release",
            image=image,
            network=network,
            retention=retention,
        )
        grant_import(import_model.role, data_bucket=data_bucket, api_service=api_service)
        claim = invoke_step(self, "Claim", import_model, payload=None)
        # The decision is the run's result: the Import step passes it on, unlike other calls.
        import_step = invoke_step(
            self,
            "Import",
            import_model,
            payload=sfn.TaskInput.from_object(
                {"action": "evaluate", "run_id": sfn.JsonPath.string_at("$.run_id")}
            ),
        )
        invoked.append(import_model)

        score_batch = job_function(
            self,
            "ScoreBatch",
            job="score_batch",
            size=settings.score_batch,
            environment={
                key: environment[key]
                for key in ("DATA_BUCKET", "FEATURES_BUCKET", "POWERTOOLS_SERVICE_NAME")
            },
            description="Batch scoring: predictions for a CSV file, into processed/predictions/",
            image=image,
            network=network,
            retention=retention,
            invoked_by_hand=True,
        )
        grant_scoring(score_batch.role, data_bucket=data_bucket)

        self.state_machine = pipeline_state_machine(
            self,
            claim=claim,
            export=export,
            wait_seconds=settings.wait_seconds,
            train=train,
            import_model=import_step,
            registry=RegistrySteps(
                function=import_model,
                approval_timeout=(
                    cdk.Duration.hours(settings.approval_timeout_hours)
                    if settings.promotion == "manual"
                    else None
                ),
            ),
            timeout_seconds=settings.execution_timeout_seconds,
            retention=retention,
        )
        acknowledge_orchestration(
            self.state_machine,
            functions=invoked,
            training_cluster=training_cluster,
        )
        if training_job is not None:
            job_role, job_prefix = training_job
            grant_start_training(self.state_machine.role, training_role=job_role, prefix=job_prefix)
        if settings.schedule:
            pipeline_schedule(self, state_machine=self.state_machine, expression=settings.schedule)

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
        # What the models command (models.py) reads to find this environment's pipeline.
        cdk.CfnOutput(self, "DataBucketName", value=data_bucket.bucket_name)
        cdk.CfnOutput(self, "ScoreFunctionName", value=score_batch.function_name)
        if api_service is not None:
            cdk.CfnOutput(self, "ApiClusterName", value=api_service.cluster.cluster_name)
            cdk.CfnOutput(self, "ApiServiceName", value=api_service.service_name)
