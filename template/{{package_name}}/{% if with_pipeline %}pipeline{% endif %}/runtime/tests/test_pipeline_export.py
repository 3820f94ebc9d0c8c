"""The export step: snapshots, the manifest, the step output and its failures."""

from __future__ import annotations

import json
import re

import pytest

from pipeline_jobs import export_tables
from pipeline_jobs.errors import ConfigurationError, MalformedCsvError, NoDataError


def test_default_export_snapshots_the_iris_sample(lake, lambda_context, iris_csv):
    output = export_tables.handler({}, lambda_context)

    assert re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{6}", output["run_id"])
    date = output["dataset_date"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", date)
    assert output["manifest_key"] == f"raw/_manifests/{output['run_id']}.json"
    assert output["tables"] == [
        {"name": "iris", "key": f"raw/iris/dt={date}/iris.csv", "rows": 150}
    ]
    assert lake.read(f"raw/iris/dt={date}/iris.csv").decode() == iris_csv
    assert lake.keys(lake.data_bucket, "raw/_manifests/") == [output["manifest_key"]]


def test_manifest_records_run_date_rows_keys_and_source(lake, lambda_context):
    output = export_tables.handler(
        {"run_id": "backfill-1", "dataset_date": "2024-12-31"}, lambda_context
    )

    assert output["run_id"] == "backfill-1"
    manifest = lake.read_json("raw/_manifests/backfill-1.json")
    assert manifest["run_id"] == "backfill-1"
    assert manifest["dataset_date"] == "2024-12-31"
    [table] = manifest["tables"]
    assert table["name"] == "iris"
    assert table["key"] == "raw/iris/dt=2024-12-31/iris.csv"
    assert table["rows"] == 150
    assert table["source"] == "sample://iris"
    assert table["columns"] == [
        "sepal_length",
        "sepal_width",
        "petal_length",
        "petal_width",
        "species",
    ]
    assert table["version_id"]


def test_run_ids_differ_between_runs(lake, lambda_context):
    first = export_tables.handler({}, lambda_context)
    second = export_tables.handler({}, lambda_context)
    assert first["run_id"] != second["run_id"]


def test_exports_a_teams_csv_from_s3(export_csv, lake):
    output = export_csv("a,b,label\n1,2,x\n3,4,y\n\n", table="visits")

    date = output["dataset_date"]
    assert output["tables"] == [
        {"name": "visits", "key": f"raw/visits/dt={date}/visits.csv", "rows": 2}
    ]
    manifest = lake.read_json(output["manifest_key"])
    assert manifest["tables"][0]["source"] == f"s3://{lake.source_bucket}/exports/visits.csv"


def test_exports_every_configured_table(lake, job_env, lambda_context):
    lake.s3.put_object(Bucket=lake.source_bucket, Key="extra.csv", Body=b"x,y\n1,2\n")
    tables = [
        {"name": "iris", "uri": "sample://iris"},
        {"name": "extra", "uri": f"s3://{lake.source_bucket}/extra.csv"},
    ]
    job_env.setenv("SOURCE_TABLES", json.dumps(tables))

    output = export_tables.handler({}, lambda_context)

    assert [(t["name"], t["rows"]) for t in output["tables"]] == [("iris", 150), ("extra", 1)]


@pytest.mark.parametrize(
    ("content", "message"),
    [("", "is empty"), ("  \n", "is empty"), ("a,b,label\n\n", "no data rows")],
)
def test_empty_source_raises_no_data(export_csv, lake, content, message):
    with pytest.raises(NoDataError, match=message):
        export_csv(content)
    assert lake.keys(lake.data_bucket) == []


def test_missing_source_object_raises_no_data(lake, job_env, lambda_context):
    source = [{"name": "t", "uri": f"s3://{lake.source_bucket}/nope.csv"}]
    job_env.setenv("SOURCE_TABLES", json.dumps(source))
    with pytest.raises(NoDataError, match="does not exist"):
        export_tables.handler({}, lambda_context)
    assert lake.keys(lake.data_bucket) == []


def test_one_bad_table_leaves_no_partial_export(lake, job_env, lambda_context):
    lake.s3.put_object(Bucket=lake.source_bucket, Key="empty.csv", Body=b"")
    tables = [
        {"name": "iris", "uri": "sample://iris"},
        {"name": "empty", "uri": f"s3://{lake.source_bucket}/empty.csv"},
    ]
    job_env.setenv("SOURCE_TABLES", json.dumps(tables))
    with pytest.raises(NoDataError, match="'empty'"):
        export_tables.handler({}, lambda_context)
    assert lake.keys(lake.data_bucket) == []


def test_ragged_csv_is_rejected(export_csv):
    with pytest.raises(MalformedCsvError, match="line 3 has 2 fields"):
        export_csv("a,b,label\n1,2,x\n3,4\n")


def test_unknown_sample_names_the_shipped_ones(lake, job_env, lambda_context):
    job_env.setenv("SOURCE_TABLES", '[{"name": "t", "uri": "sample://titanic"}]')
    with pytest.raises(ConfigurationError, match="sample://iris"):
        export_tables.handler({}, lambda_context)


@pytest.mark.parametrize(
    "event",
    [{"run_id": "../escape"}, {"run_id": "a b"}, {"dataset_date": "2025-13-01"}],
)
def test_invalid_event_fields_are_rejected(lake, lambda_context, event):
    with pytest.raises(ConfigurationError):
        export_tables.handler(event, lambda_context)
    assert lake.keys(lake.data_bucket) == []
