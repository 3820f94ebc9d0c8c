"""The model format shared by the pipeline (which writes models) and the API (which serves them).

Layout in the data lake's main bucket:

    models/<run_id>/model.joblib    a fitted scikit-learn estimator, saved with joblib
    models/<run_id>/metadata.json   ModelMetadata as JSON: features, target, classes, metrics
    models/latest.json              the serving pointer: which run the API loads

A run is only served once ``promote`` has written the pointer. The pipeline's import step
promotes a run when its metrics pass the configured threshold; a team can also promote a
run by hand by writing the pointer.

The same file is rendered into the API and the pipeline runtimes, so that each container
image stays self-contained; a test in the project checks that the copies are identical.
Change both copies together, and keep reading what older runs wrote: fields are only ever
added, and readers ignore fields they do not know.
"""

from __future__ import annotations

import io
import json
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, datetime
from typing import Any

import joblib

MODELS_PREFIX = "models/"
POINTER_KEY = f"{MODELS_PREFIX}latest.json"


def model_key(run_id: str) -> str:
    return f"{MODELS_PREFIX}{run_id}/model.joblib"


def metadata_key(run_id: str) -> str:
    return f"{MODELS_PREFIX}{run_id}/metadata.json"


@dataclass(frozen=True)
class ModelMetadata:
    """What the API needs to validate inputs and describe the model it serves."""

    run_id: str
    trained_at: str
    algorithm: str
    target: str
    features: list[str]
    classes: list[str]
    metrics: dict[str, float]
    training_rows: int
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> ModelMetadata:
        return cls(**_known_fields(cls, json.loads(text)))


@dataclass(frozen=True)
class ServingPointer:
    """The content of models/latest.json."""

    run_id: str
    promoted_at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> ServingPointer:
        return cls(**_known_fields(cls, json.loads(text)))


def _known_fields(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    """The fields this version knows: a newer writer may have added others."""
    names = {f.name for f in fields(cls)}
    return {key: value for key, value in data.items() if key in names}


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_model(s3: Any, bucket: str, model: Any, metadata: ModelMetadata) -> None:
    """Store a trained model and its metadata under models/<run_id>/ (not yet served)."""
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    s3.put_object(Bucket=bucket, Key=model_key(metadata.run_id), Body=buffer.getvalue())
    s3.put_object(
        Bucket=bucket,
        Key=metadata_key(metadata.run_id),
        Body=metadata.to_json().encode(),
        ContentType="application/json",
    )


def read_metadata(s3: Any, bucket: str, run_id: str) -> ModelMetadata:
    body = s3.get_object(Bucket=bucket, Key=metadata_key(run_id))["Body"].read()
    return ModelMetadata.from_json(body)


def promote(s3: Any, bucket: str, run_id: str) -> ServingPointer:
    """Point the serving pointer at run_id; the run's metadata must exist."""
    read_metadata(s3, bucket, run_id)
    pointer = ServingPointer(run_id=run_id, promoted_at=utc_now())
    s3.put_object(
        Bucket=bucket,
        Key=POINTER_KEY,
        Body=pointer.to_json().encode(),
        ContentType="application/json",
    )
    return pointer


def read_pointer(s3: Any, bucket: str) -> ServingPointer | None:
    """The promoted run, or None while nothing has been promoted yet."""
    try:
        body = s3.get_object(Bucket=bucket, Key=POINTER_KEY)["Body"].read()
    except s3.exceptions.NoSuchKey:
        return None
    return ServingPointer.from_json(body)


def load_model(s3: Any, bucket: str, run_id: str) -> tuple[Any, ModelMetadata]:
    """The model of one run and its metadata.

    joblib unpickles the model: only ever load models from a bucket your own pipeline writes.
    """
    body = s3.get_object(Bucket=bucket, Key=model_key(run_id))["Body"].read()
    return joblib.load(io.BytesIO(body)), read_metadata(s3, bucket, run_id)


def load_promoted_model(s3: Any, bucket: str) -> tuple[Any, ModelMetadata] | None:
    """The promoted model and its metadata, or None while nothing has been promoted yet."""
    pointer = read_pointer(s3, bucket)
    if pointer is None:
        return None
    return load_model(s3, bucket, pointer.run_id)
