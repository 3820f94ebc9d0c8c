"""The request and response bodies of the API, as they appear in its OpenAPI docs."""

from __future__ import annotations

from typing import Annotated

from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, Strict

# A JSON number that is neither NaN nor infinite. Strict: "5.1" (a string) and true are
# rejected rather than silently turned into 5.1 and 1.0.
FeatureValue = Annotated[float, Strict(), AllowInfNan(False)]
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
        description="Feature name to value; GET /model lists the names the model needs."
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

    prediction: str = Field(description="The predicted class.")
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
    classes: list[str]
    metrics: dict[str, float] = Field(description="Evaluation metrics recorded by the pipeline.")
    training_rows: int
    trained_at: str
    promoted_at: str
