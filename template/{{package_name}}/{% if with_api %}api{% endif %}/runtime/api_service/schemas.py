"""The request and response bodies of the API, as they appear in its OpenAPI docs."""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

MAX_TEXT_LENGTH = 1000


def _feature_value(value: Any) -> float | str | None:
    """A finite number (a numeric feature), a text (a categorical one) or null (missing, which
    the model imputes). true/false and lists are refused rather than read as 1.0 or text; whether
    the value fits its feature's type is checked against the model (prediction.feature_errors)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | None):
        raise PydanticCustomError("feature_value", "Input should be a number, a text or null")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise PydanticCustomError("finite_number", "Input should be a finite number")
        return float(value)
    if isinstance(value, str) and len(value) > MAX_TEXT_LENGTH:
        raise PydanticCustomError(
            "text_too_long", f"Input should have at most {MAX_TEXT_LENGTH} characters"
        )
    return value


FeatureValue = Annotated[
    float | str | None,
    PlainValidator(_feature_value),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}, {"type": "null"}]}),
]
# POST /predict/batch answers within a request's time; the batch scoring job takes files.
MAX_BATCH_ROWS = 1000


class PredictRequest(BaseModel):
    """One row to predict: a value for each feature the model was trained on."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "features": {
                        "sepal_length": 5.1,
                        "sepal_width": 3.5,
                        "petal_length": 1.4,
                        "petal_width": 0.2,
                    }
                }
            ]
        },
    )

    features: dict[str, FeatureValue] = Field(
        description=(
            "Feature name to value: a number for a numeric feature, a text for a categorical "
            "one, null where the value is missing. GET /model lists the names and their types."
        )
    )


class BatchPredictRequest(BaseModel):
    """Rows to predict in one call: up to MAX_BATCH_ROWS; larger files go to batch scoring."""

    model_config = ConfigDict(extra="forbid")

    rows: list[dict[str, FeatureValue]] = Field(
        min_length=1,
        max_length=MAX_BATCH_ROWS,
        description="One object per row: feature name to value, as POST /predict takes.",
    )


class PredictResponse(BaseModel):
    """The model's answer for one row."""

    prediction: str | float = Field(
        description="The predicted class (classification) or value (regression)."
    )
    probabilities: dict[str, float] | None = Field(
        description="Probability of each class, or null for a model without predict_proba."
    )
    run_id: str = Field(description="The pipeline run that trained the model.")


class BatchPredictResponse(BaseModel):
    """The model's answers, one per row and in the rows' order."""

    run_id: str = Field(description="The pipeline run that trained the model.")
    predictions: list[PredictResponse]


class RunSummary(BaseModel):
    """One run of the registry, as the leaderboard shows it."""

    run_id: str
    state: str = Field(description="running, candidate, pending_approval, champion, ...")
    metric: str | None = None
    value: float | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    dataset_date: str | None = None
    drift_status: str | None = None
    created_at: str | None = None
    reason: str | None = Field(default=None, description="Why it was promoted or not.")
    champion: bool = False


class ModelInfo(BaseModel):
    """The model the API serves."""

    run_id: str
    algorithm: str
    target: str = Field(description="The column the model predicts.")
    features: list[str] = Field(description="The features POST /predict needs, in model order.")
    feature_types: dict[str, str] = Field(
        description="Each feature's type: numeric (a number) or categorical (a text)."
    )
    classes: list[str] = Field(description="The classes of a classifier; empty for a regression.")
    metrics: dict[str, float] = Field(description="Evaluation metrics recorded by the pipeline.")
    training_rows: int
    trained_at: str
    promoted_at: str
