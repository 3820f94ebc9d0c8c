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
    """Predict one row whose features have passed ``feature_errors``.

    The row is built in the order of metadata.features, the column order the model was fitted on.
    """
    row = np.array([[features[name] for name in model.metadata.features]], dtype=float)
    estimator = model.estimator
    prediction = estimator.predict(row)[0]
    probabilities = None
    if hasattr(estimator, "predict_proba"):
        # predict_proba's columns follow estimator.classes_.
        scores = estimator.predict_proba(row)[0]
        probabilities = {
            str(label): float(score)
            for label, score in zip(estimator.classes_, scores, strict=True)
        }
    return PredictResponse(
        prediction=str(prediction),
        probabilities=probabilities,
        run_id=model.metadata.run_id,
    )
