"""The training pipeline: export, train and import jobs that a Step Functions state machine
runs as Export -> Wait -> Train -> Import, by hand or on a schedule. The stack composes the
parts that jobs.py, training_task.py, grants.py and orchestration.py build."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..data_lake.catalog import LakeQueries
from .catalog import lake_catalog
from .grants import grant_export, grant_import, grant_source_queries, grant_training
from .jobs import (
    LogRetention,
    invoke_step,
    job_environment,
    job_function,
    jobs_image,
    jobs_network,
)
from .orchestration import (
    acknowledge_orchestration,
    pipeline_schedule,
    pipeline_state_machine,
)
from .settings import PipelineSettings
from .training_task import fargate_training_step


class Pipeline(cdk.Stack):
    """Creates the training pipeline and exposes ``state_machine``.

    One container image (runtime/, built at deploy time) holds the three jobs. Each runs as a
    Lambda function in the workload subnets, except training when ``training_compute`` is
    fargate: then it runs as an ECS Fargate task that the state machine starts and waits for.
    Each job's role may touch only the data-lake prefixes that job reads or writes, and only
    the import job may change ``models/latest.json`` (the model the API serves) and restart
    the API. The state machine retries what is transient and fails on anything else; the
    monitoring component e-mails the failed run.
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
        export = invoke_step(
            self,
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

        training_cluster: ecs.ICluster | None = None
        if settings.training_compute == "fargate":
            train: sfn.TaskStateBase
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

        import_environment = dict(environment)
        if api_service is not None:
            import_environment["API_CLUSTER_NAME"] = api_service.cluster.cluster_name
            import_environment["API_SERVICE_NAME"] = api_service.service_name
        import_model = job_function(
            self,
            "ImportModel",
            job="import_model",
            size=settings.import_model,
            environment=import_environment,
            description="Pipeline step 3: promote the run's model if its metric passes",
            image=image,
            network=network,
            retention=retention,
        )
        grant_import(import_model.role, data_bucket=data_bucket, api_service=api_service)
        import_step = invoke_step(
            self,
            "Import",
            import_model,
            # Only the run id: after a Fargate training the input is the export's output.
            payload=sfn.TaskInput.from_object({"run_id": sfn.JsonPath.string_at("$.run_id")}),
        )
        invoked.append(import_model)

        self.state_machine = pipeline_state_machine(
            self,
            export=export,
            wait_seconds=settings.wait_seconds,
            train=train,
            import_model=import_step,
            timeout_seconds=settings.execution_timeout_seconds,
            retention=retention,
        )
        acknowledge_orchestration(
            self.state_machine,
            functions=invoked,
            training_cluster=training_cluster,
        )
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
