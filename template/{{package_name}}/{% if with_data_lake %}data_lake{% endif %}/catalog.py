"""SQL over the data lake: a Glue database and an Athena workgroup per environment, and the
two managed policies that say who may query and who may only read results.

Tables come from the components that write them (the pipeline's pipeline/catalog.py), with
partition projection, so nothing needs a crawler.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ..compliance.nag import allow_wildcards
from ..constants import PROJECT_SLUG, iam_path
from . import layout

# Pinned, so that an engine upgrade is a reviewed change rather than Athena's choice.
ATHENA_ENGINE_VERSION = "Athena engine version 3"
BYTES_PER_GB = 1_000_000_000
# What running a query needs from Athena; reading a finished query's results needs less.
QUERY_ACTIONS = [
    "athena:StartQueryExecution",
    "athena:StopQueryExecution",
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetQueryResultsStream",
    "athena:BatchGetQueryExecution",
    "athena:ListQueryExecutions",
    "athena:GetWorkGroup",
    "athena:GetNamedQuery",
    "athena:BatchGetNamedQuery",
    "athena:ListNamedQueries",
]
RESULTS_ACTIONS = [
    "athena:GetQueryExecution",
    "athena:GetQueryResults",
    "athena:GetQueryResultsStream",
    "athena:BatchGetQueryExecution",
    "athena:ListQueryExecutions",
    "athena:GetWorkGroup",
]
CATALOG_READ_ACTIONS = [
    "glue:GetDatabase",
    "glue:GetTable",
    "glue:GetTables",
    "glue:GetPartition",
    "glue:GetPartitions",
]


def catalog_names(environment: str) -> tuple[str, str]:
    """The Glue database and the Athena workgroup of an environment (Glue takes no '-')."""
    return f"{PROJECT_SLUG}_{environment}".replace("-", "_"), f"{PROJECT_SLUG}-{environment}"


class LakeQueries(Construct):
    """Creates the Glue database ``database_name`` and the Athena workgroup
    ``workgroup_name``, and exposes ``query_policy`` and ``results_reader_policy``.

    The workgroup enforces its configuration on every query: results go encrypted to
    ``query_results/`` of the data bucket (expired by its lifecycle rule), a query that would
    scan more than ``scan_limit_gb`` is cancelled, and the engine version is pinned.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        environment: str,
        data_bucket: s3.IBucket,
        scan_limit_gb: int,
    ) -> None:
        super().__init__(scope, construct_id)
        stack = cdk.Stack.of(self)
        self.database_name, self.workgroup_name = catalog_names(environment)
        self.database = glue.CfnDatabase(
            self,
            "Database",
            catalog_id=stack.account,
            database_input=glue.CfnDatabase.DatabaseInputProperty(
                name=self.database_name,
                description=f"The data lake of {environment}: one table per thing it holds",
            ),
        )
        self.workgroup = athena.CfnWorkGroup(
            self,
            "WorkGroup",
            name=self.workgroup_name,
            description=f"SQL over the data lake of {environment}, with a scan limit per query",
            state="ENABLED",
            # The catalog and the workgroup hold no data (that stays in the buckets), and their
            # names are fixed: they go with their stack, saved queries and history too, so that
            # the stack can be created again.
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=scan_limit_gb * BYTES_PER_GB,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(
                    selected_engine_version=ATHENA_ENGINE_VERSION
                ),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{data_bucket.bucket_name}/{layout.QUERY_RESULTS}",
                    encryption_configuration=athena.CfnWorkGroup.EncryptionConfigurationProperty(
                        encryption_option="SSE_S3"
                    ),
                ),
            ),
        )
        workgroup_arn = stack.format_arn(
            service="athena", resource="workgroup", resource_name=self.workgroup_name
        )
        catalog_arns = [
            stack.format_arn(service="glue", resource="catalog"),
            stack.format_arn(service="glue", resource="database", resource_name=self.database_name),
            stack.format_arn(
                service="glue", resource="table", resource_name=f"{self.database_name}/*"
            ),
        ]
        results = data_bucket.arn_for_objects(f"{layout.QUERY_RESULTS}*")

        self.query_policy = iam.ManagedPolicy(
            self,
            "QueryPolicy",
            description=f"Query the data lake of {environment} in its Athena workgroup",
            # The environment's path: all its bootstrap's execution policy may create or change.
            path=iam_path(environment),
            statements=[
                iam.PolicyStatement(actions=QUERY_ACTIONS, resources=[workgroup_arn]),
                iam.PolicyStatement(actions=CATALOG_READ_ACTIONS, resources=catalog_arns),
                iam.PolicyStatement(
                    actions=["s3:GetBucketLocation", "s3:ListBucket"],
                    resources=[data_bucket.bucket_arn],
                ),
                iam.PolicyStatement(
                    actions=["s3:GetObject"], resources=[data_bucket.arn_for_objects("*")]
                ),
                iam.PolicyStatement(
                    actions=["s3:PutObject", "s3:AbortMultipartUpload"], resources=[results]
                ),
            ],
        )
        allow_wildcards(
            self.query_policy,
            patterns=[
                r"Resource::arn:.+:glue:.+:table/[a-z0-9_]+/\*",
                r"Resource::.*\.Arn>/\*",
                r"Resource::.*/query_results/\*",
            ],
            actions=[
                *CATALOG_READ_ACTIONS,
                "s3:GetObject",
                "s3:PutObject",
                "s3:AbortMultipartUpload",
            ],
            reason="Athena reads a table's objects with the caller's rights: a query may read "
            "any table of the lake's database, whose objects lie under any prefix a team adds; "
            "results are written per query under query_results/.",
        )
        self.results_reader_policy = iam.ManagedPolicy(
            self,
            "ResultsReaderPolicy",
            description=f"Read the results of queries already run in the {environment} workgroup",
            # The environment's path: all its bootstrap's execution policy may create or change.
            path=iam_path(environment),
            statements=[
                iam.PolicyStatement(actions=RESULTS_ACTIONS, resources=[workgroup_arn]),
                iam.PolicyStatement(actions=["s3:GetObject"], resources=[results]),
            ],
        )
        allow_wildcards(
            self.results_reader_policy,
            patterns=[r"Resource::.*/query_results/\*"],
            actions=["s3:GetObject"],
            reason="Athena names each result object after its query's id, under "
            "query_results/: a reader of results may read those and nothing else of the lake.",
        )
