"""How a request's features become a prediction: change this module to change model usage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from api_service.model_store import LoadedModel
from api_service.schemas import PredictResponse


def feature_errors(features: Mapping[str, float], expected: Sequence[str]) -> list[dict[str, Any]]:
    """An error for each feature the model needs that is missing and each one it does not know.

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
    return errors


def predict(model: LoadedModel, features: Mapping[str, float]) -> PredictResponse:
    """Predict one row whose features have passed ``feature_errors``."""
    [answer] = predict_rows(model, [features])
    return answer


def predict_rows(model: LoadedModel, rows: Sequence[Mapping[str, float]]) -> list[PredictResponse]:
    """Predict rows whose features have passed ``feature_errors``, in one call to the model.

    The rows are built in the order of metadata.features, the column order the model was
    fitted on. The pipeline's batch scoring (pipeline_jobs/score_batch.py) does the same.
    """
    matrix = np.array(
        [[row[name] for name in model.metadata.features] for row in rows], dtype=float
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
                prediction=str(prediction),
                probabilities=probabilities,
                run_id=model.metadata.run_id,
            )
        )
    return answers
