"""Export step: snapshot every source table into the data bucket and write a run manifest.

Input event (all fields optional):

    {"run_id": "20250301T120000Z-3f9a1c", "dataset_date": "2025-03-01"}

Output (the next step's input):

    {"run_id": ..., "dataset_date": ..., "manifest_key": "raw/_manifests/<run_id>.json",
     "tables": [{"name": "iris", "key": "raw/iris/dt=2025-03-01/iris.csv", "rows": 150}]}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from pipeline_jobs import storage
from pipeline_jobs.errors import ConfigurationError, NoDataError
from pipeline_jobs.features import parse_csv
from pipeline_jobs.model_format import utc_now
from pipeline_jobs.observability import logger, tracer
from pipeline_jobs.runs import new_run_id, today_utc, validate_dataset_date, validate_run_id
from pipeline_jobs.settings import SAMPLE_SCHEME, Settings, SourceTable

SAMPLE_DATA = resources.files("pipeline_jobs") / "sample_data"


@dataclass(frozen=True)
class ExportedTable:
    """One table's snapshot in the data bucket."""

    name: str
    key: str
    rows: int
    columns: list[str]
    source: str
    version_id: str | None

    def to_manifest(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "key": self.key,
            "rows": self.rows,
            "columns": self.columns,
            "source": self.source,
            "version_id": self.version_id,
        }

    def to_event(self) -> dict[str, Any]:
        return {"name": self.name, "key": self.key, "rows": self.rows}


def read_source(s3: Any, table: SourceTable) -> bytes:
    """The CSV bytes of a source table, from the image's samples or from S3."""
    if table.uri.startswith(SAMPLE_SCHEME):
        sample = SAMPLE_DATA / f"{table.uri.removeprefix(SAMPLE_SCHEME)}.csv"
        if not sample.is_file():
            shipped = sorted(p.name.removesuffix(".csv") for p in SAMPLE_DATA.iterdir())
            raise ConfigurationError(
                f"table {table.name!r}: no sample data set {table.uri!r}; the image ships "
                f"{[SAMPLE_SCHEME + name for name in shipped]}"
            )
        return sample.read_bytes()
    bucket, key = storage.parse_s3_uri(table.uri)
    try:
        return storage.get_bytes(s3, bucket, key)
    except ClientError as error:
        if storage.is_missing_object(error):
            raise NoDataError(f"table {table.name!r}: {table.uri} does not exist") from error
        raise


@tracer.capture_method
def export_tables(s3: Any, settings: Settings, run_id: str, dataset_date: str) -> dict[str, Any]:
    """Snapshot every configured table, write the manifest, return the step's output.

    Every source is read and checked before anything is written, so a bad table leaves no
    partial export behind.
    """
    sources: list[tuple[SourceTable, bytes, list[str], int]] = []
    for table in settings.source_tables:
        data = read_source(s3, table)
        if not data.strip():
            raise NoDataError(f"table {table.name!r}: {table.uri} is empty")
        parsed = parse_csv(data)
        if not parsed.rows:
            raise NoDataError(f"table {table.name!r}: {table.uri} has a header but no data rows")
        sources.append((table, data, parsed.header, len(parsed.rows)))

    exported: list[ExportedTable] = []
    for table, data, columns, rows in sources:
        key = storage.raw_table_key(table.name, dataset_date)
        response = s3.put_object(
            Bucket=settings.data_bucket, Key=key, Body=data, ContentType="text/csv"
        )
        exported.append(
            ExportedTable(
                name=table.name,
                key=key,
                rows=rows,
                columns=columns,
                source=table.uri,
                # Recorded so training reads exactly this snapshot even if a later export
                # on the same day overwrites the key (when the bucket is versioned).
                version_id=response.get("VersionId"),
            )
        )
        logger.info("exported table", extra={"table": table.name, "key": key, "rows": rows})

    manifest_key = storage.manifest_key(run_id)
    storage.put_json(
        s3,
        settings.data_bucket,
        manifest_key,
        {
            "run_id": run_id,
            "dataset_date": dataset_date,
            "exported_at": utc_now(),
            "tables": [table.to_manifest() for table in exported],
        },
    )
    return {
        "run_id": run_id,
        "dataset_date": dataset_date,
        "manifest_key": manifest_key,
        "tables": [table.to_event() for table in exported],
    }


def run_from_event(event: Mapping[str, Any] | None) -> tuple[str, str]:
    """The run id and dataset date an execution asked for, or fresh ones."""
    event = event or {}
    run_id = validate_run_id(event["run_id"]) if event.get("run_id") else new_run_id()
    dataset_date = (
        validate_dataset_date(event["dataset_date"]) if event.get("dataset_date") else today_utc()
    )
    return run_id, dataset_date


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any] | None, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point of the export step."""
    settings = Settings.from_env()
    run_id, dataset_date = run_from_event(event)
    logger.append_keys(run_id=run_id)
    return export_tables(boto3.client("s3"), settings, run_id, dataset_date)
