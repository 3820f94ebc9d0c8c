"""Small S3 helpers shared by the jobs, and the key layout of the data lake.

Data bucket (DATA_BUCKET):

    raw/<table>/dt=<YYYY-MM-DD>/<table>.csv   snapshot of a source table (export)
    raw/<table>/dt=<YYYY-MM-DD>/<run_id>/     snapshot of a source query, Parquet (export)
    raw/_manifests/<run_id>.json              what one export wrote (export)
    models/<run_id>/...                       see model_format.py (train, import)
    drift_reports/<run_id>.json               feature drift against the previous run (train)
    drift_reports/features/<run_id>.json      the same, one JSON line per feature (train)
    training_results/<run_id>.json            the training step's result, one JSON line (train)
    training_jobs/<run_id>/trials/<host>.json one host's share of a search, when a SageMaker
                                              job has more than one instance (train)
    registry/...                              the registry of runs, see registry.py (import)
    processed/predictions/<run_id>/<batch>/   batch scoring's output, see score_batch.py

The tables SQL reads (lake_tables.py) are written as JSON Lines with ``put_json_lines``.

Features bucket (FEATURES_BUCKET, versioned):

    features/<table>/latest.csv               the latest feature table; older runs' tables
                                              are its previous object versions
"""

from __future__ import annotations

import json
from typing import Any

from pipeline_jobs.errors import ConfigurationError
from pipeline_jobs.lake_tables import LakeTable, json_lines
from pipeline_jobs.settings import S3_SCHEME


def raw_table_key(table: str, dataset_date: str) -> str:
    return f"raw/{table}/dt={dataset_date}/{table}.csv"


def manifest_key(run_id: str) -> str:
    return f"raw/_manifests/{run_id}.json"


def features_key(table: str) -> str:
    return f"features/{table}/latest.csv"


def drift_report_key(run_id: str) -> str:
    return f"drift_reports/{run_id}.json"


def raw_query_prefix(table: str, dataset_date: str, run_id: str) -> str:
    """Where a source query's Parquet files go: a run's own folder in the day's partition
    (Athena's UNLOAD writes only into an empty location)."""
    return f"raw/{table}/dt={dataset_date}/{run_id}/"


def feature_drift_key(run_id: str) -> str:
    return f"drift_reports/features/{run_id}.json"


def training_result_key(run_id: str) -> str:
    return f"training_results/{run_id}.json"


def host_trials_key(run_id: str, host: str) -> str:
    """Where one host of a SageMaker training job writes its trials (see hosts.py)."""
    return f"training_jobs/{run_id}/trials/{host}.json"


def parse_s3_uri(uri: str) -> tuple[str, str]:
    """Split ``s3://bucket/key`` into bucket and key."""
    bucket, _, key = uri.removeprefix(S3_SCHEME).partition("/")
    if not uri.startswith(S3_SCHEME) or not bucket or not key:
        raise ConfigurationError(f"{uri!r} is not an s3://<bucket>/<key> URI")
    return bucket, key


def get_bytes(s3: Any, bucket: str, key: str, version_id: str | None = None) -> bytes:
    """The body of an object (of one version of it when version_id is given)."""
    request: dict[str, str] = {"Bucket": bucket, "Key": key}
    if version_id is not None:
        request["VersionId"] = version_id
    body: bytes = s3.get_object(**request)["Body"].read()
    return body


def get_json(s3: Any, bucket: str, key: str) -> Any:
    return json.loads(get_bytes(s3, bucket, key))


def put_json(s3: Any, bucket: str, key: str, payload: Any) -> None:
    s3.put_object(
        Bucket=bucket,
        Key=key,
        Body=json.dumps(payload, indent=2, sort_keys=True).encode(),
        ContentType="application/json",
    )


def put_json_lines(
    s3: Any, bucket: str, key: str, table: LakeTable, rows: list[dict[str, Any]]
) -> None:
    """Write rows of a catalogued table, checked against its columns."""
    s3.put_object(
        Bucket=bucket, Key=key, Body=json_lines(table, rows), ContentType="application/x-ndjson"
    )


def is_missing_object(error: Exception) -> bool:
    """Whether a botocore ClientError means the bucket or key does not exist."""
    response = getattr(error, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code in {"NoSuchKey", "NoSuchBucket", "NoSuchVersion", "404"}
