"""How a request's features become a prediction: change this module to change model usage."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from api_service.model_store import LoadedModel
from api_service.schemas import PredictResponse


def feature_types(metadata: Any) -> dict[str, str]:
    """Each feature's type as the pipeline recorded it; a model without the record has numeric
    features only."""
    recorded = metadata.extra.get("feature_types") or {}
    return {name: recorded.get(name, "numeric") for name in metadata.features}


def feature_errors(
    features: Mapping[str, float | str | None], expected: Sequence[str], types: Mapping[str, str]
) -> list[dict[str, Any]]:
    """An error for each feature the model needs that is missing, each one it does not know and
    each text given for a numeric feature.

    The errors have the shape of FastAPI's own 422 errors, so a client handles both alike.
    """
    known = ", ".join(expected)
    errors = [
        {
            "type": "missing_feature",
            "loc": ["body", "features", name],
            "msg": f"feature {name!r} is missing; the model needs: {known}",
        }
        for name in expected
        if name not in features
    ]
    errors += [
        {
            "type": "unknown_feature",
            "loc": ["body", "features", name],
            "msg": f"feature {name!r} is not one the model knows; it needs: {known}",
        }
        for name in features
        if name not in expected
    ]
    errors += [
        {
            "type": "not_a_number",
            "loc": ["body", "features", name],
            "msg": f"feature {name!r}: Input should be a number (or null), the feature is numeric",
        }
        for name, value in features.items()
        if isinstance(value, str) and types.get(name) == "numeric"
    ]
    return errors


def predict(model: LoadedModel, features: Mapping[str, float | str | None]) -> PredictResponse:
    """Predict one row whose features have passed ``feature_errors``."""
    [answer] = predict_rows(model, [features])
    return answer


def predict_rows(
    model: LoadedModel, rows: Sequence[Mapping[str, float | str | None]]
) -> list[PredictResponse]:
    """Predict rows whose features have passed ``feature_errors``, in one call to the model.

    The rows are built in the order of metadata.features, the column order the model was
    fitted on: numbers, texts (a categorical feature's number becomes its text) and NaN where
    missing; the model's own preprocessing imputes and encodes them as in training. The
    pipeline's batch scoring (pipeline_jobs/score_batch.py) does the same.
    """
    types = feature_types(model.metadata)
    matrix = np.array(
        [[_cell(row[name], types[name]) for name in model.metadata.features] for row in rows],
        dtype=object,
    )
    estimator = model.estimator
    predictions = estimator.predict(matrix)
    scores = estimator.predict_proba(matrix) if hasattr(estimator, "predict_proba") else None
    answers = []
    for index, prediction in enumerate(predictions):
        probabilities = None
        if scores is not None:
            # predict_proba's columns follow estimator.classes_.
            probabilities = {
                str(label): float(score)
                for label, score in zip(estimator.classes_, scores[index], strict=True)
            }
        answers.append(
            PredictResponse(
                # A classifier's class is text; a regression's value stays a number.
                prediction=str(prediction)
                if scores is not None or model.metadata.classes
                else float(prediction),
                probabilities=probabilities,
                run_id=model.metadata.run_id,
            )
        )
    return answers


def _cell(value: float | str | None, type_: str) -> float | str:
    if value is None:
        return math.nan
    return str(value) if type_ == "categorical" else float(value)
