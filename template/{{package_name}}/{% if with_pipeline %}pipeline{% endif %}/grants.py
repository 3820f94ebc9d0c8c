"""What each job of the pipeline may touch: the data-lake prefixes it reads or writes, the
team's source tables for the export and the API's service for the import, as statements on
the job's role; each wildcard is allowed by pattern, with its reason."""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ..compliance.nag import acknowledge_compliance, allow_wildcards
from ..data_lake import layout
from ..data_lake.catalog import LakeQueries
from .settings import SourceTableSettings


def grant_export(
    role: iam.IRole, *, data_bucket: s3.IBucket, source_tables: list[SourceTableSettings]
) -> None:
    """Export writes under raw/ and reads exactly the team's tables in S3, nothing else."""
    _objects(
        role,
        data_bucket,
        layout.RAW,
        ["s3:PutObject"],
        "Export writes raw/<table>/dt=<date>/<table>.csv and raw/_manifests/<run_id>.json: "
        "the keys are named per table, day and run, under raw/ only.",
    )
    # The team's own tables: exactly these objects, nothing else in their buckets.
    sources = [
        table.uri.removeprefix("s3://").split("/", 1)
        for table in source_tables
        if table.uri.startswith("s3://")
    ]
    if sources:
        arn = f"arn:{cdk.Stack.of(role).partition}:s3:::"
        _allow(role, ["s3:GetObject"], [f"{arn}{bucket}/{key}" for bucket, key in sources])
        _allow(role, ["s3:ListBucket"], [f"{arn}{b}" for b in sorted({b for b, _ in sources})])


def grant_source_queries(
    role: iam.IRole, *, data_bucket: s3.IBucket, lake_queries: LakeQueries
) -> None:
    """Export runs the team's source queries in the lake's workgroup: Athena writes the
    Parquet under raw/ (granted above) and its own files under query_results/. What a query
    reads outside the lake's database, the team grants beside its query (docs)."""
    stack = cdk.Stack.of(role)
    _allow(
        role,
        [
            "athena:StartQueryExecution",
            "athena:GetQueryExecution",
            "athena:StopQueryExecution",
            "athena:GetWorkGroup",
        ],
        [
            stack.format_arn(
                service="athena", resource="workgroup", resource_name=lake_queries.workgroup_name
            )
        ],
    )
    catalog_reads = ["glue:GetDatabase", "glue:GetTable", "glue:GetPartition", "glue:GetPartitions"]
    _allow(
        role,
        catalog_reads,
        [
            stack.format_arn(service="glue", resource="catalog"),
            stack.format_arn(
                service="glue", resource="database", resource_name=lake_queries.database_name
            ),
            stack.format_arn(
                service="glue", resource="table", resource_name=f"{lake_queries.database_name}/*"
            ),
        ],
    )
    allow_wildcards(
        role,
        patterns=[r"Resource::arn:.+:glue:.+:table/[a-z0-9_]+/\*"],
        actions=catalog_reads,
        reason="A source query may read any table of the lake's database.",
    )
    _allow(role, ["s3:GetBucketLocation", "s3:ListBucket"], [data_bucket.bucket_arn])
    _objects(
        role,
        data_bucket,
        layout.QUERY_RESULTS,
        ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
        "Athena writes each query's result files under query_results/, named after the query.",
    )


def grant_training(
    role: iam.IRole, *, data_bucket: s3.IBucket, features_bucket: s3.IBucket
) -> None:
    """Training reads the run's export and writes the run's model, metrics and drift report,
    and the feature tables; it may not touch the model the API serves."""
    _list(role, data_bucket, features_bucket)
    _objects(
        role,
        data_bucket,
        layout.RAW,
        ["s3:GetObject", "s3:GetObjectVersion"],
        "Training reads the run's manifest and the exact version of the table it lists, "
        "both named per run under raw/.",
    )
    _write_once(
        role,
        data_bucket,
        layout.MODELS,
        "Training writes models/<run_id>/model.joblib and metadata.json once each, named per "
        "run; S3 refuses to overwrite them (If-None-Match is required).",
    )
    # A retried training reads back what its first attempt wrote.
    _objects(
        role,
        data_bucket,
        layout.MODELS,
        ["s3:GetObject"],
        "Training reads back models/<run_id>/ when a retried attempt finds it written.",
    )
    for prefix, what in (
        (layout.DRIFT_REPORTS, "drift_reports/<run_id>.json"),
        (layout.TRAINING_RESULTS, "training_results/<run_id>.json"),
    ):
        _objects(
            role,
            data_bucket,
            prefix,
            ["s3:PutObject"],
            f"Training writes {what}, named per run.",
        )
    # Only the registry step promotes a model or marks a champion: training may touch neither
    # the serving pointer nor the registry.
    _allow(
        role,
        ["s3:PutObject", "s3:DeleteObject"],
        [
            data_bucket.arn_for_objects(layout.SERVING_POINTER),
            data_bucket.arn_for_objects(f"{layout.REGISTRY}*"),
        ],
        effect=iam.Effect.DENY,
    )
    _objects(
        role,
        features_bucket,
        layout.FEATURES,
        ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"],
        "Training writes features/<table>/latest.csv and reads its previous version to "
        "measure drift; tables are named by the team's config.",
    )
    _allow(
        role,
        ["s3:ListBucketVersions"],
        [features_bucket.bucket_arn],
        conditions={"StringLike": {"s3:prefix": f"{layout.FEATURES}*"}},
    )


def grant_training_job_output(
    role: iam.IRole, *, data_bucket: s3.IBucket, shares_search: bool = False
) -> None:
    """A SageMaker training job's own files: SageMaker uploads the job's output (an empty
    model.tar.gz, as the job writes its model under models/ itself) and, with spot, syncs the
    job's checkpoints both ways; with ``shares_search`` (more than one instance) each host
    writes its share of the search's trials and the first reads them all. The buckets' keys
    are AWS-managed: S3 uses them for the role, which needs no key grant."""
    _objects(
        role,
        data_bucket,
        f"{layout.TRAINING_JOBS}output/",
        ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
        "SageMaker writes each job's output under training_jobs/output/<job>/, named per job.",
    )
    _objects(
        role,
        data_bucket,
        f"{layout.TRAINING_JOBS}checkpoints/",
        ["s3:GetObject", "s3:PutObject", "s3:AbortMultipartUpload"],
        "SageMaker syncs a spot job's checkpoints with training_jobs/checkpoints/<run_id>/, "
        "named per run.",
    )
    if shares_search:
        _objects(
            role,
            data_bucket,
            f"{layout.TRAINING_JOBS}*/trials/",
            ["s3:GetObject", "s3:PutObject"],
            "Each host of a training job writes its trials to training_jobs/<run_id>/trials/"
            "<host>.json, and the first host reads them: named per run and host.",
        )


def grant_import(
    role: iam.IRole,
    *,
    data_bucket: s3.IBucket,
    api_service: ecs.BaseService | None,
) -> None:
    """The registry step reads a run's model, metrics and drift, keeps the registry and moves
    the serving pointer; with the API, it restarts the API's service."""
    _list(role, data_bucket)
    _objects(
        role,
        data_bucket,
        layout.MODELS,
        ["s3:GetObject"],
        "The registry step reads models/<run_id>/metadata.json of the runs it compares and "
        "the pointer models/latest.json.",
    )
    for prefix, what in (
        (layout.DRIFT_REPORTS, "drift_reports/<run_id>.json"),
        (layout.TRAINING_RESULTS, "training_results/<run_id>.json"),
    ):
        _objects(role, data_bucket, prefix, ["s3:GetObject"], f"The registry step reads {what}.")
    _objects(
        role,
        data_bucket,
        layout.REGISTRY,
        ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        "The registry step keeps registry/runs/<run_id>.json, registry/lock.json and "
        "registry/approvals/<run_id>.json, named per run.",
    )
    _allow(role, ["s3:PutObject"], [data_bucket.arn_for_objects(layout.SERVING_POINTER)])
    if api_service is not None:
        # A new deployment makes the API's tasks load the promoted model.
        _allow(role, ["ecs:UpdateService"], [api_service.service_arn])


def grant_scoring(role: iam.IRole, *, data_bucket: s3.IBucket) -> None:
    """Batch scoring reads a CSV under raw/ or processed/ and the model the pointer names, and
    writes predictions once under processed/predictions/."""
    _list(role, data_bucket)
    _objects(
        role,
        data_bucket,
        layout.MODELS,
        ["s3:GetObject", "s3:GetObjectVersion"],
        "Scoring reads the pointer and the exact model version it names, per run.",
    )
    for prefix in (layout.RAW, layout.PROCESSED):
        _objects(
            role,
            data_bucket,
            prefix,
            ["s3:GetObject"],
            f"Scoring reads the CSV file the team names under {prefix}.",
        )
    _write_once(
        role,
        data_bucket,
        layout.PREDICTIONS,
        "Scoring writes processed/predictions/<run_id>/<batch>/, named per run and batch, "
        "once (If-None-Match is required).",
    )


def acknowledge_inline_policy(construct: Construct) -> None:
    """A compliance pack's finding that a role of the pipeline has an inline policy."""
    acknowledge_compliance(
        construct,
        "IAMNoInlinePolicy",
        reason="The policy holds CDK's grants to this one role: created, changed and deleted "
        "with it, attachable to no other principal, naming only the resources this step uses.",
    )


def _allow(role: iam.IRole, actions: list[str], resources: list[str], **kwargs: Any) -> None:
    role.add_to_principal_policy(
        iam.PolicyStatement(actions=actions, resources=resources, **kwargs)
    )


def _objects(
    role: iam.IRole, bucket: s3.IBucket, prefix: str, actions: list[str], why: str
) -> None:
    """Allow ``actions`` on every object under ``prefix`` of ``bucket``."""
    _allow(role, actions, [bucket.arn_for_objects(f"{prefix}*")])
    allow_wildcards(
        role, patterns=[rf"Resource::.*/{re.escape(prefix)}\*"], actions=actions, reason=why
    )


def _write_once(role: iam.IRole, bucket: s3.IBucket, prefix: str, why: str) -> None:
    """Allow creating objects under ``prefix`` only with If-None-Match: never overwriting."""
    _allow(
        role,
        ["s3:PutObject"],
        [bucket.arn_for_objects(f"{prefix}*")],
        conditions={"Null": {"s3:if-none-match": "false"}},
    )
    allow_wildcards(
        role,
        patterns=[rf"Resource::.*/{re.escape(prefix)}\*"],
        actions=["s3:PutObject"],
        reason=why,
    )


def _list(role: iam.IRole, *buckets: s3.IBucket) -> None:
    # Listing makes S3 answer "no such key" rather than "access denied" for a missing key.
    _allow(role, ["s3:ListBucket"], [bucket.bucket_arn for bucket in buckets])
