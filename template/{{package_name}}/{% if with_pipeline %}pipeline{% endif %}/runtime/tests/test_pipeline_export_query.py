"""Source tables that are Athena queries: UNLOAD to Parquet under raw/, waited on, recorded in
the manifest; a failed, cancelled or late query ends the export with a clear error; training
reads the Parquet files."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import boto3
import duckdb
import pytest
from moto.moto_api import state_manager

from pipeline_jobs import export_tables, train_model
from pipeline_jobs.errors import SourceQueryError, SourceQueryTimeoutError

QUERY = "SELECT * FROM sales.orders WHERE year = 2025"
WORKGROUP = "test-workgroup"


@pytest.fixture
def athena(lake, job_env, monkeypatch):
    """Moto's Athena, with a source table that is a query, and no real pauses between polls."""
    job_env.setenv("SOURCE_TABLES", json.dumps([{"name": "orders", "query": QUERY}]))
    job_env.setenv("ATHENA_WORKGROUP", WORKGROUP)
    job_env.setenv("ATHENA_DATABASE", "test_lake")
    polls: list[int] = []
    monkeypatch.setattr(export_tables, "pause_between_polls", lambda: polls.append(1))
    client = boto3.client("athena", region_name="us-east-1")
    client.create_work_group(Name=WORKGROUP)
    yield client, polls
    state_manager.unset_transition("athena::execution")


def only_execution(client) -> dict:
    [query_id] = client.list_query_executions(WorkGroup=WORKGROUP)["QueryExecutionIds"]
    return client.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]


def test_a_query_is_unloaded_as_parquet_waited_for_and_recorded(athena, lake, lambda_context):
    client, polls = athena
    # The query runs for a while: queued, running, then done.
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 2})

    output = export_tables.handler(
        {"run_id": "run-q", "dataset_date": "2025-03-01"}, lambda_context
    )

    execution = only_execution(client)
    assert execution["Status"]["State"] == "SUCCEEDED"
    assert len(polls) >= 1
    location = f"s3://{lake.data_bucket}/raw/orders/dt=2025-03-01/run-q/"
    assert execution["Query"] == (
        f"UNLOAD ({QUERY}) TO '{location}' WITH (format = 'PARQUET', compression = 'SNAPPY')"
    )
    assert execution["QueryExecutionContext"]["Database"] == "test_lake"
    [table] = lake.read_json(output["manifest_key"])["tables"]
    assert table["key"] == "raw/orders/dt=2025-03-01/run-q/"
    assert table["format"] == "parquet"
    assert table["source"] == QUERY
    assert table["query_execution_id"] == execution["QueryExecutionId"]
    assert output["tables"] == [{"name": "orders", "key": table["key"], "rows": None}]


@pytest.mark.parametrize("state", ["FAILED", "CANCELLED"])
def test_a_failed_or_cancelled_query_ends_the_export(
    athena, lake, lambda_context, monkeypatch, state
):  # the athena fixture sets the query table up
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 99})

    def athena_ends_it() -> None:
        from moto.athena.models import athena_backends

        [execution] = athena_backends["123456789012"]["us-east-1"].executions.values()
        execution.status = state

    monkeypatch.setattr(export_tables, "pause_between_polls", athena_ends_it)

    with pytest.raises(SourceQueryError, match=rf"table 'orders': Athena query \S+ {state}"):
        export_tables.handler({"run_id": "run-f"}, lambda_context)
    assert lake.keys(lake.data_bucket, "raw/_manifests/") == []


def test_a_query_still_running_when_time_runs_out_is_stopped(athena, lake, lambda_context):
    client, _ = athena
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 99})
    late = replace(lambda_context, remaining_millis=5_000)

    with pytest.raises(SourceQueryTimeoutError, match="longer timeout_seconds"):
        export_tables.handler({"run_id": "run-t"}, late)
    assert only_execution(client)["Status"]["State"] == "CANCELLED"
    assert lake.keys(lake.data_bucket, "raw/_manifests/") == []


def test_training_reads_the_parquet_files_of_a_query(
    athena, lake, lambda_context, iris_csv, tmp_path: Path
):
    export = export_tables.handler(
        {"run_id": "run-p", "dataset_date": "2025-03-01"}, lambda_context
    )
    # Stand in for what Athena's UNLOAD writes: the rows, split over two Parquet files.
    source = tmp_path / "iris.csv"
    source.write_text(iris_csv)
    prefix = export["tables"][0]["key"]
    for part, condition in enumerate(("species = 'setosa'", "species <> 'setosa'")):
        path = tmp_path / f"part-{part}"
        duckdb.sql(
            f"COPY (SELECT * FROM read_csv('{source}') WHERE {condition}) "
            f"TO '{path}' (FORMAT parquet)"
        )
        lake.s3.put_object(Bucket=lake.data_bucket, Key=f"{prefix}{part}", Body=path.read_bytes())

    result = train_model.handler(export, lambda_context)

    assert result["table"] == "orders"
    assert result["metrics"]["accuracy"] >= 0.8
    metadata = lake.read_json("models/run-p/metadata.json")
    assert metadata["training_rows"] + metadata["extra"]["test_rows"] == 150
