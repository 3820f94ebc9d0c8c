"""Training step: features, the configured model (after a hyperparameter search when
SEARCH_TRIALS > 0), its metrics and a drift report for one run.

It runs two ways, both through ``train``:

- as a Lambda function (``handler``), whose input is the export step's output:

      {"run_id": ..., "manifest_key": ..., "dataset_date": ..., "tables": [...]}

  (only ``run_id`` is required; ``manifest_key`` defaults to raw/_manifests/<run_id>.json);

- as a plain process, an ECS Fargate task or a SageMaker training job when training
  outgrows Lambda (SageMaker may add the argument ``train``):

      RUN_ID=... [MANIFEST_KEY=...] [DATASET_DATE=...] python -m pipeline_jobs.train_model

  A SageMaker job of several instances (/opt/ml/input/config/resourceconfig.json lists its
  hosts) shares the search among them, see hosts.py: the first host waits for the others'
  trials up to TRIALS_WAIT_SECONDS (default 3600) and alone writes the model and the result.

Both write the result to training_results/<run_id>.json in the data bucket; the Lambda
function also returns it:

    {"run_id", "dataset_date", "table", "task_type", "algorithm", "parameters" (JSON),
     "metrics": {"accuracy", "macro_f1", "roc_auc"} or {"rmse", "mae", "r2"},
     "features" (JSON: which columns are numeric or categorical, inferred or declared, and
     their missing values), "trials" (JSON: each search trial's parameters and CV score),
     "features_version_id", "model_key", "drift_report_key", "drift_status", "result_key",
     "duration_seconds"}

Data that cannot train a model raises a DataValidationError subclass before anything is
written, so a bad export never leaves a model behind.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import sklearn
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from sklearn.base import clone
from sklearn.model_selection import (
    GridSearchCV,
    ParameterSampler,
    RandomizedSearchCV,
    train_test_split,
)
from sklearn.pipeline import Pipeline

from pipeline_jobs import aws, estimators, hosts, lake_tables, model_format, storage
from pipeline_jobs.drift import compare_features
from pipeline_jobs.errors import (
    ConfigurationError,
    DataValidationError,
    NoDataError,
    PipelineError,
    RunNotFoundError,
    TooFewRowsError,
)
from pipeline_jobs.features import (
    FeatureTable,
    RawTable,
    build_features,
    drift_columns,
    parquet_table,
)
from pipeline_jobs.observability import logger, tracer
from pipeline_jobs.preprocessing import build_preprocessor
from pipeline_jobs.runs import validate_dataset_date, validate_run_id
from pipeline_jobs.settings import Settings

TEST_FRACTION = 0.2
# What a SageMaker training job reports as its failure reason (SageMaker's container contract).
SAGEMAKER_FAILURE_FILE = Path("/opt/ml/output/failure")
# The S3 user metadata key that records which run wrote a feature table version.
RUN_ID_METADATA = "run-id"


@dataclass(frozen=True)
class TrainingRequest:
    """Which run to train: the export's run id and manifest."""

    run_id: str
    manifest_key: str
    dataset_date: str | None = None

    @classmethod
    def create(
        cls, run_id: object, manifest_key: object = None, dataset_date: object = None
    ) -> TrainingRequest:
        valid_run_id = validate_run_id(run_id)
        if manifest_key is not None and not isinstance(manifest_key, str):
            raise ConfigurationError(f"manifest_key must be a string, got {manifest_key!r}")
        return cls(
            run_id=valid_run_id,
            manifest_key=manifest_key or storage.manifest_key(valid_run_id),
            dataset_date=validate_dataset_date(dataset_date) if dataset_date else None,
        )

    @classmethod
    def from_event(cls, event: Mapping[str, Any] | None) -> TrainingRequest:
        """From a Lambda event: the export step's output."""
        event = event or {}
        if "run_id" not in event:
            raise ConfigurationError("the training event needs a run_id (the export's output)")
        return cls.create(event["run_id"], event.get("manifest_key"), event.get("dataset_date"))

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> TrainingRequest:
        """From RUN_ID, MANIFEST_KEY and DATASET_DATE (the Fargate task's overrides, the
        SageMaker job's environment)."""
        if not environ.get("RUN_ID"):
            raise ConfigurationError("environment variable RUN_ID is required")
        return cls.create(
            environ["RUN_ID"], environ.get("MANIFEST_KEY") or None, environ.get("DATASET_DATE")
        )


@dataclass(frozen=True)
class FittedModel:
    """A model fitted on the training split, its metrics on the held-out split, and the
    parameters it was fitted with (the search's best, when a search ran) and the trials."""

    model: Pipeline
    metrics: dict[str, float]
    training_rows: int
    test_rows: int
    algorithm: str
    parameters: dict[str, Any]
    trials: list[dict[str, Any]] = field(default_factory=list)


def build_model(features: FeatureTable, settings: Settings) -> Pipeline:
    """The preprocessing of the feature columns, then the configured estimator."""
    return Pipeline(
        [
            (
                "preprocess",
                build_preprocessor(len(features.numeric), len(features.categorical)),
            ),
            (
                "model",
                estimators.build_estimator(
                    features.task_type, settings.model, settings.model_params
                ),
            ),
        ]
    )


def split(
    features: FeatureTable,
) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]:
    """Training and held-out rows: stratified by class for a classification."""
    classes = len(features.classes)
    # A stratified split needs every class on both sides.
    test_rows = max(math.ceil(features.rows * TEST_FRACTION), classes, 1)
    if features.rows - test_rows < max(classes, 2):
        raise TooFewRowsError(
            f"{features.rows} rows are too few to split into training and test sets"
        )
    x_train, x_test, y_train, y_test = train_test_split(
        features.matrix(),
        features.labels,
        test_size=test_rows,
        stratify=features.labels if classes else None,
        random_state=estimators.RANDOM_STATE,
    )
    return x_train, x_test, y_train, y_test


def fit_and_evaluate(
    features: FeatureTable,
    settings: Settings,
    others_trials: Callable[[list[dict[str, Any]]], list[dict[str, Any]]] | None = None,
    job_hosts: hosts.Hosts = hosts.SINGLE,
) -> FittedModel:
    """Fit on the training split (after a randomized search when SEARCH_TRIALS > 0); score
    the task type's metrics on the held-out rows. With more than one host, this (the first)
    evaluates its share of the search and ``others_trials`` brings the other hosts'."""
    x_train, x_test, y_train, y_test = split(features)
    pipeline = build_model(features, settings)
    trials: list[dict[str, Any]] = []
    if settings.search_trials > 0 and others_trials is not None:
        own = search_share(pipeline, features, settings, x_train, y_train, job_hosts)
        pipeline, trials = merge_search(
            pipeline, features, settings, x_train, y_train, own + others_trials(own)
        )
    elif settings.search_trials > 0:
        pipeline, trials = search(pipeline, features, settings, x_train, y_train)
    else:
        pipeline.fit(x_train, y_train)
    estimator = pipeline.named_steps["model"]
    parameters = {
        name: value
        for name, value in estimator.get_params(deep=False).items()
        if isinstance(value, str | int | float | bool | type(None))
    }
    return FittedModel(
        model=pipeline,
        metrics=estimators.evaluate(features.task_type, pipeline, x_test, y_test),
        training_rows=len(y_train),
        test_rows=len(y_test),
        algorithm=f"{settings.model} ({type(estimator).__name__})",
        parameters=parameters,
        trials=trials,
    )


def search(
    pipeline: Pipeline,
    features: FeatureTable,
    settings: Settings,
    x_train: npt.NDArray[Any],
    y_train: npt.NDArray[Any],
) -> tuple[Pipeline, list[dict[str, Any]]]:
    """A randomized search with cross-validation over the estimator's search space, ranked by
    the promotion metric; return the best pipeline refitted on the training split, and every
    trial's parameters and scores."""
    distributions, ranked_by = search_space(features, settings)
    searcher = RandomizedSearchCV(
        pipeline,
        distributions,
        n_iter=settings.search_trials,
        cv=settings.search_folds,
        scoring=ranked_by.scorer,
        random_state=estimators.RANDOM_STATE,
        n_jobs=1,
        error_score="raise",
    ).fit(x_train, y_train)
    results = searcher.cv_results_
    trials = [
        _trial_record(
            ranked_by,
            index,
            results["params"][index],
            float(results["mean_test_score"][index]),
            float(results["std_test_score"][index]),
            float(results["mean_fit_time"][index]),
            int(results["rank_test_score"][index]),
        )
        for index in range(len(results["params"]))
    ]
    logger.info("search finished", extra={"trials": len(trials), "best": searcher.best_params_})
    return searcher.best_estimator_, trials


def search_space(
    features: FeatureTable, settings: Settings
) -> tuple[dict[str, list[Any]], estimators.Metric]:
    """What the search draws from (the parameters MODEL_PARAMS leaves open) and ranks by."""
    space = estimators.SEARCH_SPACES.get(settings.model)
    if not space:
        raise ConfigurationError(f"MODEL {settings.model!r} has no search space to search")
    ranked_by = estimators.metric(features.task_type, settings.promotion_metric)
    distributions = {
        f"model__{name}": values
        for name, values in space.items()
        if name not in settings.model_params
    }
    return distributions, ranked_by


def candidates(distributions: dict[str, list[Any]], settings: Settings) -> list[dict[str, Any]]:
    """The parameter sets the search tries, in order: what RandomizedSearchCV draws with the
    same seed, so that every host draws the same list."""
    return list(
        ParameterSampler(
            distributions, settings.search_trials, random_state=estimators.RANDOM_STATE
        )
    )


def search_share(
    pipeline: Pipeline,
    features: FeatureTable,
    settings: Settings,
    x_train: npt.NDArray[Any],
    y_train: npt.NDArray[Any],
    job_hosts: hosts.Hosts,
) -> list[dict[str, Any]]:
    """This host's share of the search (its candidates, the same cross-validation and
    scoring as the whole search), with the raw scores the leader ranks."""
    distributions, ranked_by = search_space(features, settings)
    drawn = candidates(distributions, settings)
    share = list(job_hosts.share(len(drawn)))
    if not share:
        return []
    # Each candidate as a grid of one point: GridSearchCV evaluates them in this order.
    grid = [{name: [value] for name, value in drawn[index].items()} for index in share]
    searcher = GridSearchCV(
        pipeline,
        grid,
        cv=settings.search_folds,
        scoring=ranked_by.scorer,
        n_jobs=1,
        error_score="raise",
        refit=False,
    )
    results = searcher.fit(x_train, y_train).cv_results_
    return [
        {
            "trial": index,
            "score": float(results["mean_test_score"][position]),
            "score_std": float(results["std_test_score"][position]),
            "fit_seconds": float(results["mean_fit_time"][position]),
        }
        for position, index in enumerate(share)
    ]


def merge_search(
    pipeline: Pipeline,
    features: FeatureTable,
    settings: Settings,
    x_train: npt.NDArray[Any],
    y_train: npt.NDArray[Any],
    shares: list[dict[str, Any]],
) -> tuple[Pipeline, list[dict[str, Any]]]:
    """Every host's trials ranked as RandomizedSearchCV ranks them (the first of the best
    mean scores wins); return the best refitted on the training split, and every trial."""
    distributions, ranked_by = search_space(features, settings)
    drawn = candidates(distributions, settings)
    by_index = {int(trial["trial"]): trial for trial in shares}
    if sorted(by_index) != list(range(len(drawn))):
        missing = sorted(set(range(len(drawn))) - set(by_index))
        raise ConfigurationError(f"the hosts' trials miss candidates {missing} of the search")
    # A nan score ranks last, as in scikit-learn.
    scores = [by_index[index]["score"] for index in range(len(drawn))]
    scores = [-math.inf if math.isnan(score) else score for score in scores]
    ranks = [1 + sum(other > score for other in scores) for score in scores]
    best = ranks.index(1)
    trials = [
        _trial_record(
            ranked_by,
            index,
            drawn[index],
            by_index[index]["score"],
            by_index[index]["score_std"],
            by_index[index]["fit_seconds"],
            ranks[index],
        )
        for index in range(len(drawn))
    ]
    # As RandomizedSearchCV refits: a fresh copy with the best parameters.
    model = clone(pipeline).set_params(**drawn[best]).fit(x_train, y_train)
    logger.info("search finished", extra={"trials": len(trials), "best": drawn[best]})
    return model, trials


def _trial_record(
    ranked_by: estimators.Metric,
    index: int,
    parameters: Mapping[str, Any],
    mean: float,
    std: float,
    fit_seconds: float,
    rank: int,
) -> dict[str, Any]:
    """One trial as the run records it: the metric in its own sign (scikit-learn negates
    rmse and mae to rank them)."""
    sign = 1.0 if ranked_by.higher_is_better else -1.0
    return {
        "trial": index,
        "parameters": {
            name.removeprefix("model__"): _plain(value) for name, value in parameters.items()
        },
        f"cv_{ranked_by.name}_mean": round(sign * mean, 6),
        f"cv_{ranked_by.name}_std": round(std, 6),
        "rank": rank,
        "fit_seconds": round(fit_seconds, 4),
    }


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


@dataclass(frozen=True)
class PreviousFeatures:
    """An earlier run's feature table: the version drift compares against."""

    body: bytes
    version_id: str
    run_id: str | None


def find_previous_features(s3: Any, bucket: str, key: str, run_id: str) -> PreviousFeatures | None:
    """The newest version of the feature object written by another run, if any.

    Versions written by this same run (a retried step) are skipped, so a retry still
    compares with the run before it.
    """
    listing = s3.list_object_versions(Bucket=bucket, Prefix=key)
    # S3 lists the versions of a key newest first.
    for version in listing.get("Versions", []):
        if version["Key"] != key:
            continue
        response = s3.get_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])
        writer = response.get("Metadata", {}).get(RUN_ID_METADATA)
        if writer != run_id:
            return PreviousFeatures(
                body=response["Body"].read(), version_id=version["VersionId"], run_id=writer
            )
    return None


def load_manifest(s3: Any, bucket: str, request: TrainingRequest) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = storage.get_json(s3, bucket, request.manifest_key)
    except ClientError as error:
        if storage.is_missing_object(error):
            raise RunNotFoundError(
                f"run {request.run_id}: no export manifest at s3://{bucket}/{request.manifest_key}"
            ) from error
        raise
    if manifest.get("run_id") != request.run_id:
        raise ConfigurationError(
            f"manifest {request.manifest_key} belongs to run {manifest.get('run_id')!r}, "
            f"not {request.run_id!r}"
        )
    if request.dataset_date and manifest.get("dataset_date") != request.dataset_date:
        raise ConfigurationError(
            f"dataset_date {request.dataset_date} does not match the manifest's "
            f"{manifest.get('dataset_date')}"
        )
    return manifest


def choose_table(manifest: Mapping[str, Any], name: str | None) -> dict[str, Any]:
    """The exported table to train on: TRAINING_TABLE, or the first table exported."""
    tables: list[dict[str, Any]] = manifest.get("tables", [])
    if not tables:
        raise RunNotFoundError(f"run {manifest.get('run_id')}: the manifest lists no tables")
    if name is None:
        return tables[0]
    for table in tables:
        if table["name"] == name:
            return table
    raise ConfigurationError(
        f"TRAINING_TABLE {name!r} was not exported; the run has {[t['name'] for t in tables]}"
    )


def read_exported_table(s3: Any, bucket: str, table: Mapping[str, Any]) -> bytes | RawTable:
    """The exported snapshot a manifest entry names: the CSV object (the exact version the
    export wrote), or every Parquet file in the folder a source query was unloaded to."""
    if table.get("format", "csv") != "parquet":
        return storage.get_bytes(s3, bucket, table["key"], table.get("version_id"))
    keys = [
        item["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=table["key"])
        for item in page.get("Contents", [])
        if not item["Key"].endswith("/")
    ]
    if not keys:
        raise NoDataError(f"table {table['name']!r}: the query wrote no rows to {table['key']}")
    return parquet_table([storage.get_bytes(s3, bucket, key) for key in sorted(keys)])


@tracer.capture_method(capture_response=False)
def train(
    request: TrainingRequest,
    settings: Settings,
    s3: Any,
    job_hosts: hosts.Hosts = hosts.SINGLE,
) -> dict[str, Any]:
    """Train, evaluate and store the model of one run; return the step's result. With more
    than one host (a SageMaker job's instances) the hosts share the search: the others
    evaluate their share and write its trials only (see hosts.py)."""
    started = time.monotonic()
    manifest = load_manifest(s3, settings.data_bucket, request)
    dataset_date: str = manifest["dataset_date"]
    table = choose_table(manifest, settings.training_table)
    features = build_features(
        read_exported_table(s3, settings.data_bucket, table),
        target=settings.target_column,
        feature_columns=settings.feature_columns,
        min_rows=settings.min_training_rows,
        task_type=settings.task_type,
        categorical_columns=settings.categorical_columns,
    )
    logger.info("features read", extra={"features": features.report})
    shared = job_hosts.count > 1 and settings.search_trials > 0
    if job_hosts.count > 1 and not shared:
        logger.warning("more than one host but no search to share: the first trains alone")
    if not job_hosts.leader:
        return _train_share(request, settings, s3, features, job_hosts, shared)

    def others_trials(own: list[dict[str, Any]]) -> list[dict[str, Any]]:
        logger.info("waiting for the other hosts' trials", extra={"own": len(own)})
        return hosts.gather_trials(s3, settings.data_bucket, request.run_id, job_hosts)

    fitted = fit_and_evaluate(features, settings, others_trials if shared else None, job_hosts)
    logger.info("model evaluated", extra={"table": table["name"], "metrics": fitted.metrics})

    # Everything below writes; everything above only reads and validates.
    features_key = storage.features_key(table["name"])
    previous = find_previous_features(s3, settings.features_bucket, features_key, request.run_id)
    written = s3.put_object(
        Bucket=settings.features_bucket,
        Key=features_key,
        Body=features.to_csv(),
        ContentType="text/csv",
        Metadata={RUN_ID_METADATA: request.run_id, "dataset-date": dataset_date},
    )
    features_version_id: str | None = written.get("VersionId")

    model_format.write_model(
        s3,
        settings.data_bucket,
        fitted.model,
        model_format.ModelMetadata(
            run_id=request.run_id,
            trained_at=model_format.utc_now(),
            algorithm=fitted.algorithm,
            target=features.target,
            features=list(features.feature_names),
            classes=[str(label) for label in getattr(fitted.model, "classes_", [])],
            metrics=fitted.metrics,
            training_rows=fitted.training_rows,
            extra={
                "dataset_date": dataset_date,
                "table": table["name"],
                "test_rows": fitted.test_rows,
                "manifest_key": request.manifest_key,
                "features_key": features_key,
                "features_version_id": features_version_id,
                "sklearn_version": sklearn.__version__,
                "task_type": features.task_type,
                "feature_types": features.feature_types,
                "parameters": fitted.parameters,
            },
        ),
    )

    drift_key = storage.drift_report_key(request.run_id)
    drift = _drift_report(
        request.run_id, table["name"], features, previous, settings.drift_psi_threshold
    )
    drift["current_version_id"] = features_version_id
    storage.put_json(s3, settings.data_bucket, drift_key, drift)
    storage.put_json_lines(
        s3,
        settings.data_bucket,
        storage.feature_drift_key(request.run_id),
        lake_tables.FEATURE_DRIFT,
        feature_drift_rows(drift),
    )

    result = {
        "run_id": request.run_id,
        "dataset_date": dataset_date,
        "table": table["name"],
        "task_type": features.task_type,
        "algorithm": fitted.algorithm,
        "parameters": json.dumps(fitted.parameters, sort_keys=True),
        "metrics": fitted.metrics,
        "features": json.dumps(features.report, sort_keys=True),
        "trials": json.dumps(fitted.trials, sort_keys=True),
        "features_version_id": features_version_id,
        "model_key": model_format.model_key(request.run_id),
        "drift_report_key": drift_key,
        "drift_status": drift["status"],
        "result_key": storage.training_result_key(request.run_id),
        "duration_seconds": round(time.monotonic() - started, 3),
    }
    storage.put_json_lines(
        s3, settings.data_bucket, result["result_key"], lake_tables.TRAINING_RESULTS, [result]
    )
    logger.info("training finished", extra={"result": result})
    return result


def _train_share(
    request: TrainingRequest,
    settings: Settings,
    s3: Any,
    features: FeatureTable,
    job_hosts: hosts.Hosts,
    shared: bool,
) -> dict[str, Any]:
    """A host other than the first: its share of the search, written for the first host; no
    model, no run."""
    result: dict[str, Any] = {"run_id": request.run_id, "host": job_hosts.current, "trials": 0}
    if shared:
        x_train, _, y_train, _ = split(features)
        own = search_share(
            build_model(features, settings), features, settings, x_train, y_train, job_hosts
        )
        result["trials"] = len(own)
        result["trials_key"] = hosts.write_trials(
            s3, settings.data_bucket, request.run_id, job_hosts, own
        )
    logger.info("share of the search finished", extra={"result": result})
    return result


def _drift_report(
    run_id: str,
    table: str,
    features: FeatureTable,
    previous: PreviousFeatures | None,
    threshold: float,
) -> dict[str, Any]:
    previous_columns = None
    unreadable = None
    if previous is not None:
        try:
            previous_columns = drift_columns(previous.body, features.categorical)
        except DataValidationError as error:
            # An unreadable old table must not block training; the report says why.
            unreadable = str(error)
            logger.warning("previous feature table unreadable", extra={"error": unreadable})
    report: dict[str, Any] = {
        "run_id": run_id,
        "table": table,
        "created_at": model_format.utc_now(),
        "previous_run_id": previous.run_id if previous else None,
        "previous_version_id": previous.version_id if previous else None,
        **compare_features(features.columns(), previous_columns, threshold),
    }
    if unreadable is not None:
        report["status"] = "previous_version_unreadable"
        report["previous_error"] = unreadable
    return report


def feature_drift_rows(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The drift report as rows of the feature_drift table, one per feature (means and
    standard deviations of numeric features only)."""
    rows = []
    for feature, entry in report["features"].items():
        previous = entry["previous"] or {}
        rows.append(
            {
                "run_id": report["run_id"],
                "table": report["table"],
                "created_at": report["created_at"],
                "previous_run_id": report["previous_run_id"],
                "feature": feature,
                "psi": entry["psi"],
                "ks_statistic": entry["ks_statistic"],
                "drifted": entry["drifted"],
                "current_rows": entry["current"]["rows"],
                "current_mean": entry["current"].get("mean"),
                "current_std": entry["current"].get("std"),
                "previous_mean": previous.get("mean"),
                "previous_std": previous.get("std"),
                "kind": entry["kind"],
                "tv_distance": entry["tv_distance"],
            }
        )
    return rows


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any] | None, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point of the training step."""
    request = TrainingRequest.from_event(event)
    logger.append_keys(run_id=request.run_id)
    return train(request, Settings.from_env(), aws.client("s3"))


def main(
    environ: Mapping[str, str] | None = None,
    argv: Sequence[str] = (),
    *,
    resource_config: Path = hosts.RESOURCE_CONFIG,
    poll_seconds: float = hosts.POLL_SECONDS,
) -> int:
    """Process entry point (ECS Fargate, SageMaker): read the request from the environment.

    ``argv`` may be ``["train"]``, what SageMaker passes to an image it runs with its own
    entry point. Returns the exit code: 0 on success, 1 when the run cannot be trained. Under
    SageMaker the reason also goes to /opt/ml/output/failure, which becomes the training
    job's failure reason (and the Train step's error cause). A job of several instances
    lists its hosts in ``resource_config``; the first waits for the others' trials up to
    TRIALS_WAIT_SECONDS, looking every ``poll_seconds``.
    """
    env = os.environ if environ is None else environ
    try:
        if list(argv) not in ([], ["train"]):
            raise ConfigurationError(f"unexpected arguments {list(argv)}: give none, or train")
        request = TrainingRequest.from_env(env)
        logger.append_keys(run_id=request.run_id)
        settings = Settings.from_env(env)
        job_hosts = hosts.read_hosts(
            resource_config, wait_seconds=settings.trials_wait_seconds, poll_seconds=poll_seconds
        )
        logger.append_keys(host=job_hosts.current)
        train(request, settings, aws.client("s3"), job_hosts)
    except PipelineError as error:
        logger.error(
            "training failed", extra={"error_type": type(error).__name__, "error": str(error)}
        )
        _report_failure(f"{type(error).__name__}: {error}")
        return 1
    return 0


def _report_failure(reason: str) -> None:
    """Under SageMaker (its /opt/ml/output exists), the job's failure reason."""
    if not SAGEMAKER_FAILURE_FILE.parent.is_dir():
        return
    try:
        SAGEMAKER_FAILURE_FILE.write_text(reason[:1024])
    except OSError as error:
        logger.warning("failure reason not written", extra={"error": str(error)})


if __name__ == "__main__":
    sys.exit(main(argv=sys.argv[1:]))
