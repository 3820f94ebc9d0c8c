"""The estimators a run can train, their default parameters, search spaces and metrics.

MODEL names the estimator, MODEL_PARAMS (JSON) overrides its parameters, and SEARCH_TRIALS > 0
runs a randomized search with cross-validation over ``SEARCH_SPACES`` on the training split.
To add an estimator: one entry in ``ESTIMATORS`` (and a search space if it should be tuned).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.base import BaseEstimator
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import (
    accuracy_score,
    f1_score,
    mean_absolute_error,
    r2_score,
    roc_auc_score,
    root_mean_squared_error,
)

from pipeline_jobs.errors import ConfigurationError
from pipeline_jobs.features import TaskType

# Fixed so that the same data always gives the same split, model and metrics.
RANDOM_STATE = 42


@dataclass(frozen=True)
class Metric:
    """A metric a run records; the promotion compares it in its direction."""

    name: str
    higher_is_better: bool
    # The scikit-learn scorer name the search ranks trials with.
    scorer: str


METRICS: dict[TaskType, tuple[Metric, ...]] = {
    "classification": (
        Metric("accuracy", True, "accuracy"),
        Metric("macro_f1", True, "f1_macro"),
        Metric("roc_auc", True, "roc_auc_ovr"),
    ),
    "regression": (
        Metric("rmse", False, "neg_root_mean_squared_error"),
        Metric("mae", False, "neg_mean_absolute_error"),
        Metric("r2", True, "r2"),
    ),
}
DEFAULT_METRIC: dict[TaskType, str] = {"classification": "accuracy", "regression": "rmse"}

ESTIMATORS: dict[TaskType, dict[str, Callable[..., BaseEstimator]]] = {
    "classification": {
        "logistic_regression": lambda **p: LogisticRegression(
            **{"max_iter": 1000, "random_state": RANDOM_STATE, **p}
        ),
        "random_forest": lambda **p: RandomForestClassifier(
            **{"n_estimators": 100, "random_state": RANDOM_STATE, "n_jobs": 1, **p}
        ),
        "hist_gradient_boosting": lambda **p: HistGradientBoostingClassifier(
            **{"random_state": RANDOM_STATE, **p}
        ),
    },
    "regression": {
        "linear_regression": lambda **p: LinearRegression(**p),
        "random_forest": lambda **p: RandomForestRegressor(
            **{"n_estimators": 100, "random_state": RANDOM_STATE, "n_jobs": 1, **p}
        ),
        "hist_gradient_boosting": lambda **p: HistGradientBoostingRegressor(
            **{"random_state": RANDOM_STATE, **p}
        ),
    },
}
DEFAULT_ESTIMATOR: dict[TaskType, str] = {
    "classification": "logistic_regression",
    "regression": "linear_regression",
}

# What a randomized search draws from, per estimator (parameters of the pipeline's "model" step).
SEARCH_SPACES: dict[str, dict[str, list[Any]]] = {
    "logistic_regression": {"C": [0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0]},
    "linear_regression": {"fit_intercept": [True, False]},
    "random_forest": {
        "n_estimators": [50, 100, 200],
        "max_depth": [None, 4, 8, 16],
        "min_samples_leaf": [1, 2, 5],
    },
    "hist_gradient_boosting": {
        "learning_rate": [0.03, 0.1, 0.3],
        "max_leaf_nodes": [15, 31, 63],
        "l2_regularization": [0.0, 0.1, 1.0],
    },
}


def metric(task_type: TaskType, name: str) -> Metric:
    """The named metric of a task type; ConfigurationError naming the choices otherwise."""
    for candidate in METRICS[task_type]:
        if candidate.name == name:
            return candidate
    names = [m.name for m in METRICS[task_type]]
    raise ConfigurationError(f"metric {name!r} is not one of {task_type}'s: {names}")


def build_estimator(task_type: TaskType, name: str, params: Mapping[str, Any]) -> BaseEstimator:
    """The named estimator with its parameters; ConfigurationError when either is unknown."""
    choices = ESTIMATORS[task_type]
    if name not in choices:
        raise ConfigurationError(f"MODEL {name!r} is not one of {task_type}'s: {sorted(choices)}")
    try:
        return choices[name](**params)
    except TypeError as error:
        raise ConfigurationError(f"MODEL_PARAMS for {name}: {error}") from error


def evaluate(
    task_type: TaskType, model: Any, x_test: npt.NDArray[Any], y_test: npt.NDArray[Any]
) -> dict[str, float]:
    """The task type's metrics of ``model`` on held-out rows, rounded to 6 digits."""
    predicted = model.predict(x_test)
    if task_type == "regression":
        values = {
            "rmse": root_mean_squared_error(y_test, predicted),
            "mae": mean_absolute_error(y_test, predicted),
            "r2": r2_score(y_test, predicted),
        }
    else:
        values = {
            "accuracy": accuracy_score(y_test, predicted),
            "macro_f1": f1_score(y_test, predicted, average="macro"),
        }
        # ROC AUC needs probabilities and every class among the held-out rows.
        if hasattr(model, "predict_proba") and set(y_test) == set(model.classes_):
            scores = model.predict_proba(x_test)
            values["roc_auc"] = (
                roc_auc_score(y_test, scores[:, 1])
                if len(model.classes_) == 2
                else roc_auc_score(y_test, scores, multi_class="ovr", labels=model.classes_)
            )
    return {name: round(float(value), 6) for name, value in values.items() if np.isfinite(value)}
