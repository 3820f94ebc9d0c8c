"""Experiments: a regression with categorical columns and missing values, the model and its
parameters from the settings, a hyperparameter search whose trials are recorded, and the
promotion metric's direction."""

from __future__ import annotations

import io
import json

import joblib
import numpy as np
import pytest

from pipeline_jobs import estimators, export_tables, import_model, model_format, train_model
from pipeline_jobs.errors import ConfigurationError
from pipeline_jobs.settings import Settings

HOUSES = '[{"name": "house_prices", "uri": "sample://house_prices"}]'


@pytest.fixture
def regression(job_env):
    job_env.setenv("SOURCE_TABLES", HOUSES)
    job_env.setenv("TASK_TYPE", "regression")
    job_env.setenv("TARGET_COLUMN", "price_k")
    return job_env


def test_regression_infers_categorical_columns_and_imputes_missing_values(
    lake, lambda_context, regression
):
    result = train_model.handler(export_tables.handler({}, lambda_context), lambda_context)

    assert set(result["metrics"]) == {"rmse", "mae", "r2"}
    assert result["metrics"]["r2"] > 0.8
    report = json.loads(result["features"])
    assert report["categorical"] == ["district", "condition"]
    assert report["numeric"] == ["area_m2", "rooms", "year_built"]
    assert report["inferred"]["district"] == "categorical"
    assert set(report["missing_values"]) == {"area_m2", "condition", "year_built"}
    metadata = model_format.read_metadata(lake.s3, lake.data_bucket, result["run_id"])
    assert metadata.classes == []
    assert metadata.extra["feature_types"]["district"] == "categorical"
    # The preprocessing is inside the model: raw values, text and gaps included, predict.
    model = joblib.load(io.BytesIO(lake.read(result["model_key"])))
    rows = np.array(
        [[120.0, 4.0, 2015.0, "centre", "new"], [np.nan, 2.0, np.nan, "unheard-of", np.nan]],
        dtype=object,
    )
    central, unknown = model.predict(rows)
    assert central > unknown > 0


def test_declared_categorical_columns_are_not_inferred(lake, lambda_context, regression):
    regression.setenv("CATEGORICAL_COLUMNS", "rooms")

    result = train_model.handler(export_tables.handler({}, lambda_context), lambda_context)

    report = json.loads(result["features"])
    assert report["declared_categorical"] == ["rooms"]
    assert "rooms" in report["categorical"]
    assert "rooms" not in report["inferred"]


def test_a_search_records_its_trials_and_fits_the_best(lake, lambda_context, regression):
    regression.setenv("MODEL", "random_forest")
    regression.setenv("MODEL_PARAMS", '{"n_estimators": 10}')
    regression.setenv("SEARCH_TRIALS", "3")
    regression.setenv("SEARCH_FOLDS", "2")

    result = train_model.handler(export_tables.handler({}, lambda_context), lambda_context)

    trials = json.loads(result["trials"])
    assert len(trials) == 3
    assert all("n_estimators" not in trial["parameters"] for trial in trials)
    assert all(trial["cv_rmse_mean"] > 0 for trial in trials)
    best = min(trials, key=lambda trial: trial["rank"])
    parameters = json.loads(result["parameters"])
    assert parameters["n_estimators"] == 10
    assert {k: parameters[k] for k in best["parameters"]} == best["parameters"]
    assert result["algorithm"] == "random_forest (RandomForestRegressor)"
    assert result["duration_seconds"] > 0


@pytest.mark.parametrize(
    ("model", "params", "message"),
    [
        ("logistic_regression", "{}", "not one of regression's"),
        ("random_forest", '{"depth": 3}', "MODEL_PARAMS for random_forest"),
    ],
)
def test_a_wrong_model_is_refused_before_anything_is_written(
    lake, lambda_context, regression, model, params, message
):
    regression.setenv("MODEL", model)
    regression.setenv("MODEL_PARAMS", params)
    export = export_tables.handler({}, lambda_context)

    with pytest.raises(ConfigurationError, match=message):
        train_model.handler(export, lambda_context)

    assert lake.keys(lake.data_bucket, "models/") == []


@pytest.mark.parametrize(("threshold", "promoted"), [("1000", True), ("1", False)])
def test_a_lower_is_better_metric_promotes_below_the_threshold(
    lake, lambda_context, regression, threshold, promoted
):
    regression.setenv("PROMOTION_THRESHOLD", threshold)
    trained = train_model.handler(export_tables.handler({}, lambda_context), lambda_context)

    decision = import_model.handler(trained, lambda_context)

    assert decision["metric"] == "rmse"
    assert decision["promoted"] is promoted
    if not promoted:
        assert "is above the promotion threshold 1.0" in decision["reason"]


def test_missing_feature_values_in_a_classification_are_imputed(
    lake, lambda_context, export_csv, iris_csv
):
    lines = iris_csv.splitlines()
    lines[4] = "," + lines[4].split(",", 1)[1]

    result = train_model.handler(export_csv("\n".join(lines) + "\n"), lambda_context)

    assert json.loads(result["features"])["missing_values"] == {"sepal_length": 1}
    assert result["metrics"]["accuracy"] >= 0.9


def test_every_estimator_the_settings_accept_exists():
    """The infrastructure's settings list the estimators by name; these are the ones built."""
    names = {name for task in estimators.ESTIMATORS.values() for name in task}
    assert names == {
        "logistic_regression",
        "linear_regression",
        "random_forest",
        "hist_gradient_boosting",
    }
    assert set(estimators.SEARCH_SPACES) == names


def test_the_ranking_and_the_promotion_agree_on_each_metric_direction():
    """The runs table and the API rank with model_format; the promotion with estimators."""
    for metrics in estimators.METRICS.values():
        for metric in metrics:
            assert (metric.name in model_format.LOWER_IS_BETTER) is not metric.higher_is_better


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("TASK_TYPE", "clustering", "TASK_TYPE must be classification or regression"),
        ("SEARCH_FOLDS", "1", "SEARCH_FOLDS must be at least 2"),
        ("MODEL_PARAMS", "[1, 2]", "MODEL_PARAMS must be a JSON object"),
    ],
)
def test_experiment_settings_are_refused_by_name(name, value, message):
    environment = {"DATA_BUCKET": "data", "FEATURES_BUCKET": "features", name: value}
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env(environment)


def test_a_regression_defaults_to_the_linear_model_and_rmse():
    settings = Settings.from_env(
        {"DATA_BUCKET": "data", "FEATURES_BUCKET": "features", "TASK_TYPE": "regression"}
    )
    assert (settings.model, settings.promotion_metric) == ("linear_regression", "rmse")
