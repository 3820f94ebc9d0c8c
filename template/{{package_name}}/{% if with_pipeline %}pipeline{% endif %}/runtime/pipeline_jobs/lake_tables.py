"""The data lake's tables as SQL sees them: the one definition the jobs write with and the
Glue Data Catalog is built from (pipeline/catalog.py), so that the two cannot drift apart.

Each ``LakeTable`` names its prefix in the data bucket, its format, its columns (Hive types,
as Glue and Athena read them) and its partition key, if any. A job writes a catalogued JSON
table with ``json_lines``, which refuses a row whose keys are not exactly the table's columns.

Athena reads every object under a table's location, one JSON object per line; the named
queries (``NAMED_QUERIES``) are plain SQL that Athena and DuckDB both run, and the project's
tests run them with DuckDB over the files the jobs wrote.

Two tables describe what the runs registry and batch scoring write: ``RUNS`` is the
registry's records (registry/runs/<run_id>.json, one compact JSON line each, written with
``json_line``, which refuses a key the table lacks), ``PREDICTIONS`` is batch scoring's CSV
files, whose leading columns are fixed (``PREDICTION_COLUMNS``) and catalogued; the input's
columns and the per-class probabilities follow them, and SQL ignores them (Athena reads a
CSV file by position). The module uses the standard library only, so the CDK app imports it
too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Format = Literal["json", "csv", "parquet"]
# Hive types the tables use; struct<...> for nested JSON objects, array<...> for lists.
_PRIMITIVES = {"string", "bigint", "double", "boolean", "date", "timestamp"}
# Glue and Athena fold names to lower case; keep them to what needs no quoting.
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,127}$")


@dataclass(frozen=True)
class Column:
    """One column: its name and Hive type."""

    name: str
    type: str

    def __post_init__(self) -> None:
        if not _NAME.match(self.name) or not is_hive_type(self.type):
            raise ValueError(
                f"column {self.name!r} of type {self.type!r}: a column name is lower-case "
                "letters, digits and '_', its type one of string, bigint, double, boolean, "
                "date, timestamp, struct<name:type,...> or array<type>"
            )


def split_fields(inner: str) -> list[str]:
    """The comma-separated parts of a struct's or array's inside, nested types kept whole."""
    parts, depth, start = [], 0, 0
    for index, char in enumerate(inner):
        depth += {"<": 1, ">": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(inner[start:index])
            start = index + 1
    return [*parts, inner[start:]]


def is_hive_type(type_: str) -> bool:
    if type_ in _PRIMITIVES:
        return True
    if type_.startswith("array<") and type_.endswith(">"):
        return is_hive_type(type_[6:-1])
    if type_.startswith("struct<") and type_.endswith(">"):
        fields = [part.partition(":") for part in split_fields(type_[7:-1])]
        return all(_NAME.match(name) and sep and is_hive_type(kind) for name, sep, kind in fields)
    return False


@dataclass(frozen=True)
class Partition:
    """The partition key of a table, and how Athena projects its values from the key layout
    (partition projection: no crawler and no MSCK REPAIR TABLE)."""

    name: str
    type: str
    # The projection.<name>.* table properties, without their prefix.
    projection: Mapping[str, str]
    # The key's place in the object keys, with ${<name>} for its value.
    location_template: str


@dataclass(frozen=True)
class LakeTable:
    """A table of the data lake: where its objects live and what their rows hold."""

    name: str
    prefix: str
    format: Format
    columns: tuple[Column, ...]
    description: str
    partition: Partition | None = None
    # CSV files start with a header row that is not data.
    header_rows: int = field(default=0)
    # Athena's CSV reader fails on an empty field of a number column unless told to read it
    # as null (use.null.for.invalid.data): for CSV files that leave a number empty on purpose.
    empty_as_null: bool = field(default=False)

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    def location(self, bucket: str) -> str:
        return f"s3://{bucket}/{self.prefix}"

    def parameters(self, bucket: str) -> dict[str, str]:
        """The Glue table properties: its classification and its partition projection."""
        parameters = {"classification": self.format, "EXTERNAL": "TRUE"}
        if self.header_rows:
            parameters["skip.header.line.count"] = str(self.header_rows)
        if self.empty_as_null:
            parameters["use.null.for.invalid.data"] = "TRUE"
        if self.partition is not None:
            key = self.partition.name
            parameters["projection.enabled"] = "true"
            parameters |= {f"projection.{key}.{k}": v for k, v in self.partition.projection.items()}
            parameters["storage.location.template"] = (
                f"s3://{bucket}/{self.prefix}{self.partition.location_template}"
            )
        return parameters


def _columns(*pairs: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(name, type_) for name, type_ in pairs)


# Every metric of either task type (estimators.METRICS); a run leaves the other type's null.
METRICS_TYPE = (
    "struct<accuracy:double,macro_f1:double,roc_auc:double,rmse:double,mae:double,r2:double>"
)
DECISION_TYPE = "struct<state:string,reason:string,by:string,at:string>"

TRAINING_RESULTS = LakeTable(
    name="training_results",
    prefix="training_results/",
    format="json",
    description=(
        "One row per training run: its model, parameters, metrics, search trials, duration "
        "and where it wrote what (parameters, features and trials are JSON text)."
    ),
    columns=_columns(
        ("run_id", "string"),
        ("dataset_date", "string"),
        ("table", "string"),
        ("task_type", "string"),
        ("algorithm", "string"),
        ("parameters", "string"),
        ("metrics", METRICS_TYPE),
        ("features", "string"),
        ("trials", "string"),
        ("features_version_id", "string"),
        ("duration_seconds", "double"),
        ("model_key", "string"),
        ("drift_report_key", "string"),
        ("drift_status", "string"),
        ("result_key", "string"),
    ),
)

FEATURE_DRIFT = LakeTable(
    name="feature_drift",
    prefix="drift_reports/features/",
    format="json",
    description="One row per feature per training run: its drift against the previous run.",
    columns=_columns(
        ("run_id", "string"),
        ("table", "string"),
        ("created_at", "string"),
        ("previous_run_id", "string"),
        ("feature", "string"),
        ("psi", "double"),
        ("ks_statistic", "double"),
        ("drifted", "boolean"),
        ("current_rows", "bigint"),
        ("current_mean", "double"),
        ("current_std", "double"),
        ("previous_mean", "double"),
        ("previous_std", "double"),
        # numeric or categorical; a categorical feature has a total variation distance
        # instead of a KS statistic, and no mean or standard deviation.
        ("kind", "string"),
        ("tv_distance", "double"),
    ),
)

RUNS = LakeTable(
    name="runs",
    prefix="registry/runs/",
    format="json",
    description=(
        "The runs registry: one row per run, its state (champion, candidate, ...), metrics, "
        "data version and the last decision on it."
    ),
    columns=_columns(
        ("run_id", "string"),
        ("state", "string"),
        ("trigger", "string"),
        ("execution", "string"),
        ("created_at", "string"),
        ("updated_at", "string"),
        ("trained_at", "string"),
        ("dataset_date", "string"),
        ("metric", "string"),
        ("value", "double"),
        ("metrics", METRICS_TYPE),
        ("drift_status", "string"),
        ("model_sha256", "string"),
        ("model_version_id", "string"),
        ("training_result_key", "string"),
        ("data_version", "struct<features_key:string,features_version_id:string>"),
        (
            "parameters",
            "struct<task_type:string,algorithm:string,target:string,features:array<string>,"
            "training_rows:bigint,hyperparameters:string>",
        ),
        ("search_trials", "bigint"),
        ("duration_seconds", "double"),
        ("decision", DECISION_TYPE),
        ("history", f"array<{DECISION_TYPE}>"),
    ),
)

# The leading columns of every predictions.csv, in this order; the input's columns and, for a
# model with probabilities, probability_<class> per class follow them.
PREDICTION_COLUMNS = _columns(
    ("row_number", "bigint"),
    ("prediction", "string"),
    # The probability of the predicted class; empty when the model gives none.
    ("probability", "double"),
    ("scored_at", "string"),
    ("model_sha256", "string"),
)

PREDICTIONS = LakeTable(
    name="predictions",
    prefix="processed/predictions/",
    format="csv",
    header_rows=1,
    # The probability is empty for a model without probabilities (a regression).
    empty_as_null=True,
    description=(
        "Batch predictions, one row per scored row, partitioned by the run that scored; the "
        "files hold the input's columns after these (download them for those)."
    ),
    columns=PREDICTION_COLUMNS,
    partition=Partition(
        name="run_id",
        type="string",
        # Injected: a query names the run (WHERE run_id = '...'), Athena reads only its prefix.
        projection={"type": "injected"},
        location_template="${run_id}/",
    ),
)

# What the pipeline writes and the catalog describes, besides one table per exported source.
PIPELINE_TABLES = (TRAINING_RESULTS, FEATURE_DRIFT, RUNS, PREDICTIONS)

# The columns of the iris sample shipped in the image (sample_data/iris.csv).
IRIS_COLUMNS = _columns(
    ("sepal_length", "double"),
    ("sepal_width", "double"),
    ("petal_length", "double"),
    ("petal_width", "double"),
    ("species", "string"),
)
# Raw partitions are projected from this date on, up to today.
RAW_PARTITIONS_SINCE = "2020-01-01"


def raw_table_name(source: str) -> str:
    """The catalog name of an exported source table (catalog names take no '-')."""
    return f"raw_{source.lower().replace('-', '_')}"


def raw_table(source: str, columns: Iterable[Column], format: Format) -> LakeTable:
    """An exported source table: raw/<source>/dt=<YYYY-MM-DD>/, one partition per day."""
    return LakeTable(
        name=raw_table_name(source),
        prefix=f"raw/{source}/",
        format=format,
        description=f"Daily snapshots of the source table {source}, by export date (dt).",
        columns=tuple(columns),
        header_rows=1 if format == "csv" else 0,
        partition=Partition(
            name="dt",
            type="string",
            projection={
                "type": "date",
                "format": "yyyy-MM-dd",
                "range": f"{RAW_PARTITIONS_SINCE},NOW",
                "interval": "1",
                "interval.unit": "DAYS",
            },
            location_template="dt=${dt}/",
        ),
    )


def record(table: LakeTable, row: Mapping[str, Any]) -> dict[str, Any]:
    """``row`` in the table's column order; refuses a row whose keys are not its columns."""
    expected = table.column_names
    if sorted(row) != sorted(expected):
        missing = sorted(set(expected) - set(row))
        extra = sorted(set(row) - set(expected))
        raise ValueError(f"a row of {table.name} lacks {missing} and has unknown {extra}")
    return {name: row[name] for name in expected}


def json_lines(table: LakeTable, rows: Iterable[Mapping[str, Any]]) -> bytes:
    """The rows as JSON Lines, one object per line: what Athena's JSON reader expects."""
    return "".join(json.dumps(record(table, row)) + "\n" for row in rows).encode()


def json_line(table: LakeTable, row: Mapping[str, Any]) -> bytes:
    """One row as one compact JSON line, in column order, for a table whose rows fill in
    over time (a key not written yet reads as null); refuses a key the table lacks."""
    unknown = sorted(set(row) - set(table.column_names))
    if unknown:
        raise ValueError(f"a row of {table.name} has keys that are not its columns: {unknown}")
    ordered = {name: row[name] for name in table.column_names if name in row}
    return (json.dumps(ordered, separators=(",", ":")) + "\n").encode()


@dataclass(frozen=True)
class NamedQuery:
    """A saved Athena query a team starts from."""

    name: str
    description: str
    sql: str


def named_queries(raw_table_names: Iterable[str]) -> list[NamedQuery]:
    """The named queries of the workgroup: the runs, drift, row counts and predictions."""
    queries = [
        NamedQuery(
            name="runs-leaderboard",
            description=(
                "The registry's evaluated runs, best first (accuracy, macro F1; R2, RMSE for "
                "regression), the champion marked, with their state and drift."
            ),
            sql=(
                "SELECT rank() OVER (ORDER BY metrics.accuracy DESC NULLS LAST, "
                "metrics.macro_f1 DESC NULLS LAST, metrics.r2 DESC NULLS LAST, "
                "metrics.rmse ASC NULLS LAST) AS rank, run_id, state, "
                "state = 'champion' AS champion, dataset_date, "
                "metrics.accuracy AS accuracy, metrics.macro_f1 AS macro_f1, "
                "metrics.rmse AS rmse, metrics.r2 AS r2, drift_status\n"
                "FROM runs\n"
                "WHERE metrics IS NOT NULL\n"
                "ORDER BY rank, run_id"
            ),
        ),
        NamedQuery(
            name="drift-by-feature-over-time",
            description=(
                "Each feature's PSI and KS statistic (numeric) or total variation distance "
                "(categorical) per run, oldest run first."
            ),
            sql=(
                "SELECT feature, kind, run_id, created_at, psi, ks_statistic, tv_distance, "
                "drifted, current_mean, previous_mean\n"
                "FROM feature_drift\n"
                "ORDER BY feature, created_at, run_id"
            ),
        ),
        NamedQuery(
            name="predictions-of-a-run",
            description=(
                "The batch predictions of one run's model, batch by batch: the run id is the "
                "parameter."
            ),
            sql=(
                "SELECT scored_at, row_number, prediction, probability, model_sha256\n"
                "FROM predictions\n"
                "WHERE run_id = ?\n"
                "ORDER BY scored_at, row_number"
            ),
        ),
    ]
    for table in raw_table_names:
        queries.append(
            NamedQuery(
                name=f"row-counts-{table.replace('_', '-')}",
                description=f"Rows of {table} per export date (dt), newest first.",
                sql=(
                    f"SELECT dt, count(*) AS row_count\nFROM {table}\nGROUP BY dt\nORDER BY dt DESC"
                ),
            )
        )
    return queries
