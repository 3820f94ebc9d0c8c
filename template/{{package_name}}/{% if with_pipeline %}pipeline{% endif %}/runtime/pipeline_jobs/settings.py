"""Configuration read from the environment variables the CDK stack sets on each job.

Every job reads the same variables, so one ``Settings`` object describes them all:

    DATA_BUCKET           required  raw exports, manifests, models, drift reports
    FEATURES_BUCKET       required  feature tables (a versioned bucket)
    SOURCE_TABLES         optional  JSON list of {"name": ..., "uri": ...} or {"name": ..., "query":
                                    ...}; default: the iris sample
    ATHENA_WORKGROUP      optional  the workgroup that runs source queries (set with the catalog)
    ATHENA_DATABASE       optional  the Glue database source queries run in
    TARGET_COLUMN         optional  the column the model predicts; default "species"
    FEATURE_COLUMNS       optional  comma-separated feature columns; default: every other column
    CATEGORICAL_COLUMNS   optional  comma-separated features to treat as categories; default: the
                                    features whose values are not numbers
    TASK_TYPE             optional  classification or regression; default classification
    MODEL                 optional  the estimator (estimators.ESTIMATORS); default: the task's first
    MODEL_PARAMS          optional  JSON object of the estimator's parameters; default {}
    SEARCH_TRIALS         optional  randomized-search trials; 0: fit MODEL_PARAMS as given (default)
    SEARCH_FOLDS          optional  cross-validation folds of each trial; default 3
    TRAINING_TABLE        optional  which exported table to train on; default: the first one
    MIN_TRAINING_ROWS     optional  fewer data rows than this fail the training; default 30
    PROMOTION_METRIC      optional  metric compared with the threshold; default: accuracy for a
                                    classification, rmse for a regression
    PROMOTION_THRESHOLD   optional  the floor: no run worse than it is promoted (below it for a
                                    metric where higher is better, above it for rmse and mae);
                                    default 0.8
    PROMOTION_MARGIN      optional  how much a run must beat the champion by; default 0
    PROMOTION_MODE        optional  auto (promote) or manual (wait for approval); default auto
    DRIFT_BLOCKS_PROMOTION optional "true": a run whose features drifted is not promoted
    DRIFT_PSI_THRESHOLD   optional  a feature whose PSI against the previous run is above it
                                    drifted; default 0.2
    LOCK_SECONDS          optional  how long a run may hold the pipeline; default 86400
    TRIALS_WAIT_SECONDS   optional  how long a SageMaker job's first host waits for the other
                                    hosts' trials (hosts.py); default 3600. The stack sets it
                                    from max_runtime_minutes, so that the wait ends first.
    METRIC_NAMESPACE      optional  CloudWatch namespace of the drift metric (with ENVIRONMENT)
    DRIFT_METRIC_NAME     optional  the drift metric's name; default DriftDetected
    ENVIRONMENT           optional  the environment's name, the drift metric's dimension
    API_CLUSTER_NAME      optional  ECS cluster of the prediction API (set only when it exists)
    API_SERVICE_NAME      optional  ECS service of the prediction API (set with the cluster)

Empty strings count as unset, because infrastructure code often passes "" for "absent".
"""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pipeline_jobs.drift import PSI_DRIFT_THRESHOLD
from pipeline_jobs.errors import ConfigurationError
from pipeline_jobs.estimators import DEFAULT_ESTIMATOR, DEFAULT_METRIC
from pipeline_jobs.features import TaskType

SAMPLE_SCHEME = "sample://"
S3_SCHEME = "s3://"
DEFAULT_SOURCE_TABLES = (("iris", f"{SAMPLE_SCHEME}iris"),)

# Table names become parts of S3 keys, so keep them to a safe, readable alphabet.
_TABLE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$")


@dataclass(frozen=True)
class SourceTable:
    """One table to export: its name in the data lake and where to read it from.

    ``uri`` is ``sample://<name>`` for a CSV shipped in the image (``sample://iris``) or
    ``s3://<bucket>/<key>.csv`` for a team's own CSV file. A table with a ``query`` instead
    is the result of that SQL query, which Athena runs and writes as Parquet (UNLOAD).
    """

    name: str
    uri: str = ""
    query: str = ""

    def __post_init__(self) -> None:
        if not _TABLE_NAME.match(self.name):
            raise ConfigurationError(
                f"table name {self.name!r} must be 1-63 letters, digits, '_' or '-'"
            )
        if self.query:
            if self.uri:
                raise ConfigurationError(f"table {self.name!r}: give a uri or a query, not both")
            return
        sample = self.uri.removeprefix(SAMPLE_SCHEME)
        is_sample = self.uri.startswith(SAMPLE_SCHEME) and _TABLE_NAME.match(sample)
        if not is_sample and not self.uri.startswith(S3_SCHEME):
            raise ConfigurationError(
                f"table {self.name!r}: uri {self.uri!r} must be {SAMPLE_SCHEME}<name> "
                f"or {S3_SCHEME}<bucket>/<key>"
            )


@dataclass(frozen=True)
class Settings:
    """Everything the jobs read from the environment, validated once."""

    data_bucket: str
    features_bucket: str
    source_tables: tuple[SourceTable, ...]
    target_column: str = "species"
    feature_columns: tuple[str, ...] | None = None
    training_table: str | None = None
    min_training_rows: int = 30
    task_type: TaskType = "classification"
    categorical_columns: tuple[str, ...] = ()
    model: str = "logistic_regression"
    model_params: dict[str, Any] = field(default_factory=dict)
    search_trials: int = 0
    search_folds: int = 3
    promotion_metric: str = "accuracy"
    promotion_threshold: float = 0.8
    promotion_margin: float = 0.0
    promotion_mode: str = "auto"
    drift_blocks_promotion: bool = False
    drift_psi_threshold: float = PSI_DRIFT_THRESHOLD
    lock_seconds: int = 86400
    trials_wait_seconds: float = 3600.0
    metric_namespace: str | None = None
    drift_metric_name: str = "DriftDetected"
    environment: str | None = None
    api_cluster_name: str | None = None
    api_service_name: str | None = None
    athena_workgroup: str | None = None
    athena_database: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read and validate the settings; raise ConfigurationError naming the bad variable."""
        env = os.environ if environ is None else environ

        def optional(name: str) -> str | None:
            value = env.get(name, "").strip()
            return value or None

        def required(name: str) -> str:
            value = optional(name)
            if value is None:
                raise ConfigurationError(f"environment variable {name} is required")
            return value

        cluster = optional("API_CLUSTER_NAME")
        service = optional("API_SERVICE_NAME")
        if (cluster is None) != (service is None):
            raise ConfigurationError(
                "set both API_CLUSTER_NAME and API_SERVICE_NAME, or neither of them"
            )
        feature_columns = optional("FEATURE_COLUMNS")
        mode = optional("PROMOTION_MODE") or "auto"
        if mode not in ("auto", "manual"):
            raise ConfigurationError(f"PROMOTION_MODE must be auto or manual, got {mode!r}")
        task_type = optional("TASK_TYPE") or "classification"
        if task_type not in ("classification", "regression"):
            raise ConfigurationError(
                f"TASK_TYPE must be classification or regression, got {task_type!r}"
            )
        search_folds = _parse_number("SEARCH_FOLDS", optional("SEARCH_FOLDS"), 3, int)
        search_trials = _parse_number("SEARCH_TRIALS", optional("SEARCH_TRIALS"), 0, int)
        if search_folds < 2 or search_trials < 0:
            raise ConfigurationError("SEARCH_FOLDS must be at least 2 and SEARCH_TRIALS at least 0")
        return cls(
            data_bucket=required("DATA_BUCKET"),
            features_bucket=required("FEATURES_BUCKET"),
            source_tables=parse_source_tables(optional("SOURCE_TABLES")),
            target_column=optional("TARGET_COLUMN") or "species",
            feature_columns=_names(feature_columns),
            training_table=optional("TRAINING_TABLE"),
            min_training_rows=_parse_number(
                "MIN_TRAINING_ROWS", optional("MIN_TRAINING_ROWS"), 30, int
            ),
            task_type=task_type,  # type: ignore[arg-type]
            categorical_columns=_names(optional("CATEGORICAL_COLUMNS")) or (),
            model=optional("MODEL") or DEFAULT_ESTIMATOR[task_type],  # type: ignore[index]
            model_params=_parse_object("MODEL_PARAMS", optional("MODEL_PARAMS")),
            search_trials=search_trials,
            search_folds=search_folds,
            promotion_metric=optional("PROMOTION_METRIC") or DEFAULT_METRIC[task_type],  # type: ignore[index]
            promotion_threshold=_parse_number(
                "PROMOTION_THRESHOLD", optional("PROMOTION_THRESHOLD"), 0.8, float
            ),
            promotion_margin=_parse_number(
                "PROMOTION_MARGIN", optional("PROMOTION_MARGIN"), 0.0, float
            ),
            promotion_mode=mode,
            drift_blocks_promotion=(optional("DRIFT_BLOCKS_PROMOTION") or "").lower() == "true",
            drift_psi_threshold=_parse_number(
                "DRIFT_PSI_THRESHOLD", optional("DRIFT_PSI_THRESHOLD"), PSI_DRIFT_THRESHOLD, float
            ),
            lock_seconds=_parse_number("LOCK_SECONDS", optional("LOCK_SECONDS"), 86400, int),
            trials_wait_seconds=_parse_number(
                "TRIALS_WAIT_SECONDS", optional("TRIALS_WAIT_SECONDS"), 3600.0, float
            ),
            metric_namespace=optional("METRIC_NAMESPACE"),
            drift_metric_name=optional("DRIFT_METRIC_NAME") or "DriftDetected",
            environment=optional("ENVIRONMENT"),
            api_cluster_name=cluster,
            api_service_name=service,
            athena_workgroup=optional("ATHENA_WORKGROUP"),
            athena_database=optional("ATHENA_DATABASE"),
        )


def _names(raw: str | None) -> tuple[str, ...] | None:
    """A comma-separated list of column names, or None when unset."""
    return tuple(c.strip() for c in raw.split(",") if c.strip()) if raw else None


def _parse_object(name: str, raw: str | None) -> dict[str, Any]:
    if raw is None:
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"{name} is not valid JSON: {error}") from error
    if not isinstance(value, dict):
        raise ConfigurationError(f"{name} must be a JSON object, got {raw!r}")
    return value


def parse_source_tables(raw: str | None) -> tuple[SourceTable, ...]:
    """Parse SOURCE_TABLES, e.g. ``[{"name": "iris", "uri": "sample://iris"}]``, or
    ``[{"name": "orders", "query": "SELECT * FROM sales.orders"}]``."""
    if raw is None:
        return tuple(SourceTable(name, uri) for name, uri in DEFAULT_SOURCE_TABLES)
    try:
        entries = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigurationError(f"SOURCE_TABLES is not valid JSON: {error}") from error
    if not isinstance(entries, list) or not entries:
        raise ConfigurationError("SOURCE_TABLES must be a non-empty JSON list")
    tables: list[SourceTable] = []
    for entry in entries:
        if (
            not isinstance(entry, dict)
            or not isinstance(entry.get("name"), str)
            or not isinstance(entry.get("uri", ""), str)
            or not isinstance(entry.get("query", ""), str)
            or not (entry.get("uri") or entry.get("query"))
        ):
            raise ConfigurationError(
                'each SOURCE_TABLES entry must be {"name": "...", "uri": "..."} or '
                f'{{"name": "...", "query": "..."}}, got {entry!r}'
            )
        tables.append(
            SourceTable(name=entry["name"], uri=entry.get("uri", ""), query=entry.get("query", ""))
        )
    names = [table.name for table in tables]
    if len(set(names)) != len(names):
        raise ConfigurationError(f"SOURCE_TABLES names must be unique, got {names}")
    return tuple(tables)


def _parse_number[N: (int, float)](name: str, raw: str | None, default: N, kind: type[N]) -> N:
    if raw is None:
        return default
    expected = "an integer" if kind is int else "a finite number"
    try:
        value = kind(raw)
    except ValueError as error:
        raise ConfigurationError(f"{name} must be {expected}, got {raw!r}") from error
    # float() accepts "nan", which would compare false against every metric.
    if not math.isfinite(value):
        raise ConfigurationError(f"{name} must be {expected}, got {raw!r}")
    return value
