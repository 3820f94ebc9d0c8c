"""The named Athena queries, run offline: the pipeline writes two runs to moto's S3 (export,
training, the registry's records) and batch scoring scores with both, DuckDB reads the same
objects in the same key layout through the tables of lake_tables.py (the ones the Glue
catalog is built from), and every named query gives the answers the runs imply."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest

from pipeline_jobs import export_tables, import_model, lake_tables, score_batch, train_model
from pipeline_jobs.lake_tables import LakeTable

# Hive's types as DuckDB names them.
DUCKDB_TYPES = {"string": "VARCHAR", "bigint": "BIGINT", "double": "DOUBLE", "boolean": "BOOLEAN"}
RAW_IRIS = lake_tables.raw_table("iris", lake_tables.IRIS_COLUMNS, "csv")


def duckdb_type(hive_type: str) -> str:
    if hive_type.startswith("array<"):
        return f"{duckdb_type(hive_type[6:-1])}[]"
    if hive_type.startswith("struct<"):
        fields = (part.split(":", 1) for part in lake_tables.split_fields(hive_type[7:-1]))
        return f"STRUCT({', '.join(f'"{name}" {duckdb_type(kind)}' for name, kind in fields)})"
    return DUCKDB_TYPES[hive_type]


def visible_files(table: LakeTable, root: Path) -> list[str]:
    """What Athena reads of a table: every object under its location, at any depth, but those
    whose names start with "_" or "." (hidden)."""
    return sorted(
        str(path)
        for path in (root / table.prefix).rglob("*")
        if path.is_file() and not path.name.startswith(("_", "."))
    )


def create_view(connection: duckdb.DuckDBPyConnection, table: LakeTable, root: Path) -> None:
    """The table as Athena sees it: every visible object under its prefix, its partition key
    taken from the key layout its projection describes."""
    columns = {c.name: duckdb_type(c.type) for c in table.columns}
    layout = table.partition.location_template if table.partition else ""
    files = visible_files(table, root)
    assert files, f"nothing written under {table.prefix}"
    selected = ", ".join(f'"{name}"' for name in columns)
    if table.format == "json":
        source = f"read_json({files!r}, format = 'newline_delimited', columns = {columns!r}"
    else:
        # Athena's CSV reader takes the catalogued columns by position, skips the header row
        # and ignores the fields after them; an empty field of a number reads as null.
        source = (
            f"read_csv({files!r}, header = false, skip = {table.header_rows}, all_varchar = true"
        )
        selected = ", ".join(
            f'CAST(#{index} AS {columns[name]}) AS "{name}"'
            for index, name in enumerate(columns, start=1)
        )
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

    # Batch scoring with the champion (run 1) and with run 2, on the first export.
    for run_id in ("run-1", "run-2"):
        score_batch.score(lake.s3, lake.data_bucket, "raw/iris/dt=2025-03-01/iris.csv", run_id)
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
        create_view(connection, table, tmp_path)
    yield connection
    connection.close()


def run(connection, name: str, *parameters: str) -> list[dict]:
    [query] = [q for q in lake_tables.named_queries([RAW_IRIS.name]) if q.name == name]
    result = connection.execute(query.sql, list(parameters))
    names = [column[0] for column in result.description]
    return [dict(zip(names, row, strict=True)) for row in result.fetchall()]


def test_the_leaderboard_ranks_the_registry_runs_and_marks_the_champion(sql, lake_of_two_runs):
    lake = lake_of_two_runs
    board = run(sql, "runs-leaderboard")

    assert [(row["rank"], row["run_id"]) for row in board] == [(1, "run-1"), (2, "run-2")]
    champion = lake.read_json("models/latest.json")["run_id"]
    assert [row["run_id"] for row in board if row["champion"]] == [champion] == ["run-1"]
    for row in board:
        record = lake.read_json(f"registry/runs/{row['run_id']}.json")
        assert row["state"] == record["state"]
        assert row["accuracy"] == record["metrics"]["accuracy"]
        assert row["macro_f1"] == record["metrics"]["macro_f1"]
        assert row["rmse"] is None  # a classification run has no regression metrics
        assert row["drift_status"] == record["drift_status"]
    assert board[1]["state"] == "rejected"


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


def scored_file(lake, run_id: str) -> list[dict[str, str]]:
    [key] = [
        key
        for key in lake.keys(lake.data_bucket, f"processed/predictions/{run_id}/")
        if key.endswith("/predictions.csv")
    ]
    return list(csv.DictReader(io.StringIO(lake.read(key).decode())))


def test_predictions_of_a_run_are_what_batch_scoring_wrote(sql, lake_of_two_runs):
    lake = lake_of_two_runs
    rows = run(sql, "predictions-of-a-run", "run-2")

    written = scored_file(lake, "run-2")
    assert [row["row_number"] for row in rows] == list(range(1, 151))
    assert [row["prediction"] for row in rows] == [row["prediction"] for row in written]
    for row, line in zip(rows, written, strict=True):
        # The probability of the predicted class, also in the download's per-class columns.
        assert row["probability"] == float(line[f"probability_{line['prediction']}"])
        assert row["scored_at"] == line["scored_at"]
    sha = lake.read_json("models/run-2/metadata.json")["model_sha256"]
    assert {row["model_sha256"] for row in rows} == {sha}
    assert len(run(sql, "predictions-of-a-run", "run-1")) == 150
    assert run(sql, "predictions-of-a-run", "run-3") == []


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

    # The registry: one record per object, on one line, its keys among the table's columns
    # (a run's record fills in as it moves on: a key not written yet reads as null).
    written: set[str] = set()
    for key in lake.keys(lake.data_bucket, lake_tables.RUNS.prefix):
        [line] = lake.read(key).decode().splitlines()
        keys = list(json.loads(line))
        assert keys == [name for name in lake_tables.RUNS.column_names if name in keys]
        written |= set(keys)
    # Every column is written by the evaluation, but the execution only the state machine's
    # claim step writes (these runs were imported without one).
    assert written == set(lake_tables.RUNS.column_names) - {"execution"}

    # Batch scoring: the catalogued columns lead, the input's columns follow; the manifest
    # beside it is hidden to Athena.
    for run_id in ("run-1", "run-2"):
        keys = lake.keys(lake.data_bucket, f"processed/predictions/{run_id}/")
        assert sorted(key.rsplit("/", 1)[1] for key in keys) == [
            "_manifest.json",
            "predictions.csv",
        ]
        [row, *_] = scored_file(lake, run_id)
        columns = list(row)
        leading = len(lake_tables.PREDICTIONS.column_names)
        assert columns[:leading] == lake_tables.PREDICTIONS.column_names
        assert columns[leading : leading + len(RAW_IRIS.column_names)] == RAW_IRIS.column_names
