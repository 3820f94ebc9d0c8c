"""The named Athena queries, run offline: the pipeline writes two runs to moto's S3, DuckDB
reads the same objects in the same key layout through the tables of lake_tables.py (the ones
the Glue catalog is built from), and every named query gives the answers the runs imply."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest

from pipeline_jobs import export_tables, import_model, lake_tables, train_model
from pipeline_jobs.lake_tables import LakeTable

# Hive's types as DuckDB names them.
DUCKDB_TYPES = {"string": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN"}
RAW_IRIS = lake_tables.raw_table("iris", lake_tables.IRIS_COLUMNS, "csv")


def duckdb_type(hive_type: str) -> str:
    struct = re.fullmatch(r"struct<(.+)>", hive_type)
    if struct:
        fields = (field.split(":") for field in struct.group(1).split(","))
        return f"STRUCT({', '.join(f'{name} {duckdb_type(kind)}' for name, kind in fields)})"
    return DUCKDB_TYPES[hive_type]


def create_view(connection: duckdb.DuckDBPyConnection, table: LakeTable, root: Path) -> None:
    """The table as Athena sees it: every object under its prefix, its partition key taken
    from the key layout its projection describes."""
    columns = {c.name: duckdb_type(c.type) for c in table.columns}
    layout = table.partition.location_template if table.partition else ""
    files = f"{root}/{table.prefix}{re.sub(r'\$\{\w+\}', '*', layout)}*"
    if table.format == "json":
        source = f"read_json('{files}', format = 'newline_delimited', columns = {columns!r}"
    else:
        source = f"read_csv('{files}', header = true, columns = {columns!r}"
    selected = ", ".join(f'"{name}"' for name in columns)
    if table.partition:
        # The partition's value is the part of the key its ${...} stands for.
        before, _, after = layout.partition(f"${{{table.partition.name}}}")
        pattern = f"{table.prefix}{before}([^/]+){after}"
        selected += f", regexp_extract(filename, '{pattern}', 1) AS {table.partition.name}"
    connection.execute(
        f"CREATE VIEW {table.name} AS SELECT {selected} FROM {source}, filename = true)"
    )


@pytest.fixture(scope="module")
def lake_of_two_runs(module_lake, lambda_context, iris_csv):
    """Run 1 trains on the iris sample; run 2, a day later, on the same rows with one feature
    shifted and every tenth label swapped, so it scores worse and drifts."""
    lake, job_env = module_lake
    first = export_tables.handler({"run_id": "run-1", "dataset_date": "2025-03-01"}, lambda_context)
    import_model.handler(train_model.handler(first, lambda_context), lambda_context)

    header, *rows = iris_csv.strip().splitlines()
    changed = []
    for index, row in enumerate(rows):
        cells = row.split(",")
        cells[0] = str(float(cells[0]) + 3.0)
        if index % 10 == 0:
            cells[4] = "setosa" if cells[4] != "setosa" else "virginica"
        changed.append(",".join(cells))
    lake.s3.put_object(
        Bucket=lake.source_bucket, Key="iris-2.csv", Body="\n".join([header, *changed]).encode()
    )
    job_env.setenv(
        "SOURCE_TABLES",
        json.dumps([{"name": "iris", "uri": f"s3://{lake.source_bucket}/iris-2.csv"}]),
    )
    second = export_tables.handler(
        {"run_id": "run-2", "dataset_date": "2025-03-02"}, lambda_context
    )
    import_model.handler(train_model.handler(second, lambda_context), lambda_context)

    # Batch predictions as scoring writes them (processed/predictions/<run_id>/), one part.
    predictions = [
        {"row_number": n, "prediction": "setosa", "probability": 0.9, "scored_at": "2025-03-02"}
        for n in range(3)
    ]
    lake.s3.put_object(
        Bucket=lake.data_bucket,
        Key="processed/predictions/run-2/part-0.json",
        Body=lake_tables.json_lines(lake_tables.PREDICTIONS, predictions),
    )
    return lake


@pytest.fixture(scope="module")
def sql(lake_of_two_runs, tmp_path_factory: pytest.TempPathFactory):
    """DuckDB over a copy of the data bucket, with a view per table of the catalog."""
    lake, tmp_path = lake_of_two_runs, tmp_path_factory.mktemp("data-bucket")
    for key in lake.keys(lake.data_bucket):
        path = tmp_path / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(lake.read(key))
    connection = duckdb.connect()
    for table in (*lake_tables.PIPELINE_TABLES, RAW_IRIS):
        if table is not lake_tables.RUNS:  # the registry's writer is not part of this pipeline
            create_view(connection, table, tmp_path)
    yield connection
    connection.close()


def run(connection, name: str, *parameters: str) -> list[dict]:
    [query] = [q for q in lake_tables.named_queries([RAW_IRIS.name]) if q.name == name]
    result = connection.execute(query.sql, list(parameters))
    names = [column[0] for column in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def test_the_leaderboard_ranks_the_runs_by_accuracy(sql, lake_of_two_runs):
    lake = lake_of_two_runs
    board = run(sql, "runs-leaderboard")

    assert [(row["rank"], row["run_id"]) for row in board] == [(1, "run-1"), (2, "run-2")]
    for row in board:
        result = lake.read_json(f"training_results/{row['run_id']}.json")
        assert row["accuracy"] == result["metrics"]["accuracy"]
        assert row["drift_status"] == result["drift_status"]


def test_drift_by_feature_returns_each_feature_of_each_report(sql, lake_of_two_runs):
    lake = lake_of_two_runs
    rows = run(sql, "drift-by-feature-over-time")

    report = lake.read_json("drift_reports/run-2.json")
    assert {row["feature"] for row in rows} == set(report["features"])
    latest = {row["feature"]: row for row in rows if row["run_id"] == "run-2"}
    for feature, entry in report["features"].items():
        assert latest[feature]["psi"] == entry["psi"]
        assert latest[feature]["drifted"] == entry["drifted"]
    assert latest["sepal_length"]["drifted"] is True
    # Oldest run first within a feature; the first run had nothing to compare with.
    first = next(row for row in rows if row["feature"] == "sepal_length")
    assert (first["run_id"], first["psi"]) == ("run-1", None)


def test_row_counts_per_partition(sql):
    rows = run(sql, "row-counts-raw-iris")
    assert rows == [
        {"dt": "2025-03-02", "row_count": 150},
        {"dt": "2025-03-01", "row_count": 150},
    ]


def test_predictions_of_a_run(sql):
    rows = run(sql, "predictions-of-a-run", "run-2")
    assert [row["row_number"] for row in rows] == [0, 1, 2]
    assert run(sql, "predictions-of-a-run", "run-1") == []


def test_every_named_query_is_tested():
    tested = {"runs-leaderboard", "drift-by-feature-over-time", "row-counts-raw-iris"}
    tested.add("predictions-of-a-run")
    assert {q.name for q in lake_tables.named_queries([RAW_IRIS.name])} == tested


def test_the_catalogued_objects_hold_exactly_the_tables_columns(lake_of_two_runs):
    lake = lake_of_two_runs
    for table in (lake_tables.TRAINING_RESULTS, lake_tables.FEATURE_DRIFT):
        keys = lake.keys(lake.data_bucket, table.prefix)
        assert len(keys) == 2
        for key in keys:
            for line in lake.read(key).decode().splitlines():
                assert list(json.loads(line)) == table.column_names
    header = lake.read("raw/iris/dt=2025-03-01/iris.csv").decode().splitlines()[0]
    assert header.split(",") == RAW_IRIS.column_names
