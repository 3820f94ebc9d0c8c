"""Export step: snapshot every source table into the data bucket and write a run manifest.

Input event (all fields optional):

    {"run_id": "20250301T120000Z-3f9a1c", "dataset_date": "2025-03-01"}

Output (the next step's input):

    {"run_id": ..., "dataset_date": ..., "manifest_key": "raw/_manifests/<run_id>.json",
     "tables": [{"name": "iris", "key": "raw/iris/dt=2025-03-01/iris.csv", "rows": 150}]}

A source table that is a SQL query never passes through this function's memory: Athena runs
it as ``UNLOAD (<query>) TO 's3://<data bucket>/raw/<table>/dt=<date>/<run_id>/'`` and writes
Parquet files there; the step only starts the query and waits for it. Its manifest entry gives
the folder as ``key``, ``"format": "parquet"``, the query execution and the bytes it scanned;
its row count is not known (``rows`` is null).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from pipeline_jobs import aws, storage
from pipeline_jobs.errors import (
    ConfigurationError,
    NoDataError,
    SourceQueryError,
    SourceQueryTimeoutError,
)
from pipeline_jobs.features import parse_csv
from pipeline_jobs.model_format import utc_now
from pipeline_jobs.observability import logger, tracer
from pipeline_jobs.runs import new_run_id, today_utc, validate_dataset_date, validate_run_id
from pipeline_jobs.settings import SAMPLE_SCHEME, Settings, SourceTable

SAMPLE_DATA = resources.files("pipeline_jobs") / "sample_data"
# How often the step asks Athena whether a source query has finished.
POLL_SECONDS = 2.0
# The time kept back from the function's limit to stop a late query and say so.
TIMEOUT_MARGIN_SECONDS = 10.0


@dataclass(frozen=True)
class ExportedTable:
    """One table's snapshot in the data bucket."""

    name: str
    key: str
    rows: int | None
    columns: list[str] | None
    source: str
    version_id: str | None
    format: str = "csv"
    query_execution_id: str | None = None
    data_scanned_bytes: int | None = None

    def to_manifest(self) -> dict[str, Any]:
        manifest = {
            "name": self.name,
            "key": self.key,
            "format": self.format,
            "rows": self.rows,
            "columns": self.columns,
            "source": self.source,
            "version_id": self.version_id,
        }
        if self.query_execution_id is not None:
            manifest["query_execution_id"] = self.query_execution_id
            manifest["data_scanned_bytes"] = self.data_scanned_bytes
        return manifest

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


def pause_between_polls() -> None:
    time.sleep(POLL_SECONDS)


def unload_query(
    athena: Any,
    settings: Settings,
    table: SourceTable,
    location: str,
    seconds_left: Callable[[], float],
) -> dict[str, Any]:
    """Have Athena write the result of the table's query as Parquet to ``location``; wait for
    it and return the query execution. Raise SourceQueryError when Athena fails or cancels it,
    SourceQueryTimeoutError (after stopping it) when the step's time runs out first."""
    if not settings.athena_workgroup or not settings.athena_database:
        raise ConfigurationError(
            f"table {table.name!r} is a query: ATHENA_WORKGROUP and ATHENA_DATABASE are required"
        )
    started = athena.start_query_execution(
        QueryString=(
            f"UNLOAD ({table.query}) TO '{location}' "
            "WITH (format = 'PARQUET', compression = 'SNAPPY')"
        ),
        QueryExecutionContext={"Database": settings.athena_database},
        WorkGroup=settings.athena_workgroup,
    )
    query_id = started["QueryExecutionId"]
    logger.info("source query started", extra={"table": table.name, "query_id": query_id})
    while True:
        execution: dict[str, Any] = athena.get_query_execution(QueryExecutionId=query_id)[
            "QueryExecution"
        ]
        status = execution["Status"]
        if status["State"] == "SUCCEEDED":
            return execution
        if status["State"] in ("FAILED", "CANCELLED"):
            reason = status.get("StateChangeReason") or "Athena gave no reason"
            raise SourceQueryError(
                f"table {table.name!r}: Athena query {query_id} {status['State']}: {reason}"
            )
        if seconds_left() < POLL_SECONDS + TIMEOUT_MARGIN_SECONDS:
            athena.stop_query_execution(QueryExecutionId=query_id)
            raise SourceQueryTimeoutError(
                f"table {table.name!r}: Athena query {query_id} was still {status['State']} "
                "when the export step's time ran out; it was stopped. Give export_tables a "
                "longer timeout_seconds, or make the query cheaper"
            )
        pause_between_polls()


def export_query(
    athena: Any,
    settings: Settings,
    table: SourceTable,
    run_id: str,
    dataset_date: str,
    seconds_left: Callable[[], float],
) -> ExportedTable:
    """A source query's snapshot: Parquet files in the run's folder of the day's partition."""
    prefix = storage.raw_query_prefix(table.name, dataset_date, run_id)
    execution = unload_query(
        athena, settings, table, f"s3://{settings.data_bucket}/{prefix}", seconds_left
    )
    statistics = execution.get("Statistics", {})
    logger.info("exported query", extra={"table": table.name, "key": prefix})
    return ExportedTable(
        name=table.name,
        key=prefix,
        rows=None,
        columns=None,
        source=table.query,
        version_id=None,
        format="parquet",
        query_execution_id=execution["QueryExecutionId"],
        data_scanned_bytes=statistics.get("DataScannedInBytes"),
    )


@tracer.capture_method
def export_tables(
    s3: Any,
    settings: Settings,
    run_id: str,
    dataset_date: str,
    athena: Any = None,
    seconds_left: Callable[[], float] = lambda: float("inf"),
) -> dict[str, Any]:
    """Snapshot every configured table, write the manifest, return the step's output.

    Every file source is read and checked, and every source query has finished, before the
    files are written, so a bad table leaves no partial export behind (a query's Parquet
    files stay in their run's own folder, which no manifest names).
    """
    sources: list[tuple[SourceTable, bytes, list[str], int]] = []
    for table in settings.source_tables:
        if table.query:
            continue
        data = read_source(s3, table)
        if not data.strip():
            raise NoDataError(f"table {table.name!r}: {table.uri} is empty")
        parsed = parse_csv(data)
        if not parsed.rows:
            raise NoDataError(f"table {table.name!r}: {table.uri} has a header but no data rows")
        sources.append((table, data, parsed.header, parsed.rows))

    # The files are good: now the queries, which take longer and cost a scan.
    queried: dict[str, ExportedTable] = {}
    for table in settings.source_tables:
        if table.query:
            queried[table.name] = export_query(
                athena, settings, table, run_id, dataset_date, seconds_left
            )

    exported: list[ExportedTable] = []
    files = {table.name: (data, columns, rows) for table, data, columns, rows in sources}
    for table in settings.source_tables:
        if table.query:
            exported.append(queried[table.name])
            continue
        data, columns, rows = files[table.name]
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
    athena = aws.client("athena") if any(t.query for t in settings.source_tables) else None
    return export_tables(
        aws.client("s3"),
        settings,
        run_id,
        dataset_date,
        athena=athena,
        seconds_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )
