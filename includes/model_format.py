"""The model format shared by the pipeline (which writes models) and the API (which serves them).

Layout in the data lake's main bucket:

    models/<run_id>/model.joblib    a fitted scikit-learn estimator, saved with joblib
    models/<run_id>/metadata.json   ModelMetadata as JSON: features, target, classes, metrics
    models/latest.json              the serving pointer: the champion run the API loads, the
                                    S3 version and SHA-256 of its model, former champions
    registry/runs/<run_id>.json     the registry's record of one run (see RunRecord)

Both files of a run are written once (S3 refuses to overwrite them). A run is only served
once ``promote`` has written the pointer; the API checks the model's version and SHA-256
against the pointer before it unpickles it. The pipeline's import step promotes a run that
beats the champion, and the project's models command promotes, approves or rolls back.

The same file is rendered into the API and the pipeline runtimes, so that each container
image stays self-contained; a test in the project checks that the copies are identical.
Change both copies together, and keep reading what older runs wrote: fields are only ever
added, and readers ignore fields they do not know.
"""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any

import joblib

MODELS_PREFIX = "models/"
POINTER_KEY = f"{MODELS_PREFIX}latest.json"
RUNS_PREFIX = "registry/runs/"
# How many former champions the pointer remembers for rollbacks.
HISTORY_LENGTH = 20


class ModelIntegrityError(Exception):
    """The stored model is not the one the pointer names: it is not loaded."""


class ConcurrentUpdateError(Exception):
    """Another writer changed the object between our read and our write: read and try again."""


def model_key(run_id: str) -> str:
    return f"{MODELS_PREFIX}{run_id}/model.joblib"


def metadata_key(run_id: str) -> str:
    return f"{MODELS_PREFIX}{run_id}/metadata.json"


def run_record_key(run_id: str) -> str:
    return f"{RUNS_PREFIX}{run_id}.json"


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
    # The model.joblib written with this metadata: its S3 version and SHA-256.
    model_version_id: str | None = None
    model_sha256: str | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> ModelMetadata:
        return cls(**_known_fields(cls, json.loads(text)))


@dataclass(frozen=True)
class ServingPointer:
    """The content of models/latest.json: the champion and the exact model file to load."""

    run_id: str
    promoted_at: str
    model_version_id: str | None = None
    model_sha256: str | None = None
    # Who moved the pointer: "pipeline", or the models command's "promote", "approve", "rollback".
    promoted_by: str = "pipeline"
    # Former champions, the latest last: a rollback returns to the last one.
    previous_run_ids: list[str] = field(default_factory=list)

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


def error_code(error: Exception) -> str | None:
    """The S3 error code of a botocore ClientError, e.g. "PreconditionFailed"."""
    response = getattr(error, "response", None)
    return response.get("Error", {}).get("Code") if isinstance(response, dict) else None


def put_once(s3: Any, bucket: str, key: str, body: bytes, **kwargs: Any) -> dict[str, Any]:
    """Write an object that must not exist yet; S3 refuses (PreconditionFailed) if it does."""
    response: dict[str, Any] = s3.put_object(
        Bucket=bucket, Key=key, Body=body, IfNoneMatch="*", **kwargs
    )
    return response


def write_model(s3: Any, bucket: str, model: Any, metadata: ModelMetadata) -> ModelMetadata:
    """Store a trained model and its metadata under models/<run_id>/ (not yet served).

    Both are written once (S3's If-None-Match): when a retried step finds them written, the
    first attempt's files stay and are described. Returns the metadata as stored, with the
    model's S3 version and SHA-256.
    """
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    body = buffer.getvalue()
    try:
        written = put_once(s3, bucket, model_key(metadata.run_id), body)
    except Exception as error:
        if error_code(error) != "PreconditionFailed":
            raise
        written = s3.get_object(Bucket=bucket, Key=model_key(metadata.run_id))
        body = written["Body"].read()
    stored = replace(
        metadata,
        model_version_id=written.get("VersionId"),
        model_sha256=hashlib.sha256(body).hexdigest(),
    )
    try:
        put_once(
            s3,
            bucket,
            metadata_key(metadata.run_id),
            stored.to_json().encode(),
            ContentType="application/json",
        )
    except Exception as error:
        if error_code(error) != "PreconditionFailed":
            raise
        return read_metadata(s3, bucket, metadata.run_id)
    return stored


def read_metadata(s3: Any, bucket: str, run_id: str) -> ModelMetadata:
    body = s3.get_object(Bucket=bucket, Key=metadata_key(run_id))["Body"].read()
    return ModelMetadata.from_json(body)


def read_pointer_with_etag(s3: Any, bucket: str) -> tuple[ServingPointer | None, str | None]:
    """The pointer and its ETag, or (None, None) while nothing has been promoted yet."""
    try:
        response = s3.get_object(Bucket=bucket, Key=POINTER_KEY)
    except s3.exceptions.NoSuchKey:
        return None, None
    return ServingPointer.from_json(response["Body"].read()), response["ETag"]


def read_pointer(s3: Any, bucket: str) -> ServingPointer | None:
    """The promoted run, or None while nothing has been promoted yet."""
    return read_pointer_with_etag(s3, bucket)[0]


def promote(
    s3: Any, bucket: str, run_id: str, *, by: str = "pipeline", rollback: bool = False
) -> ServingPointer:
    """Point the serving pointer at run_id, recording its model's version and SHA-256.

    The pointer is replaced only if nobody changed it since it was read (S3's If-Match), so
    two promotions never interleave; the loser gets ConcurrentUpdateError. A promotion
    remembers the former champion; a rollback (``rollback=True``) forgets it instead.
    """
    metadata = read_metadata(s3, bucket, run_id)
    current, etag = read_pointer_with_etag(s3, bucket)
    history = list(current.previous_run_ids) if current else []
    if rollback:
        history = history[:-1]
    elif current is not None and current.run_id != run_id:
        history = [*history, current.run_id][-HISTORY_LENGTH:]
    version_id, sha256 = metadata.model_version_id, metadata.model_sha256
    if sha256 is None:
        # A run stored before models recorded their digest: pin the version stored now.
        head = s3.get_object(Bucket=bucket, Key=model_key(run_id))
        version_id, sha256 = head.get("VersionId"), hashlib.sha256(head["Body"].read()).hexdigest()
    pointer = ServingPointer(
        run_id=run_id,
        promoted_at=utc_now(),
        model_version_id=version_id,
        model_sha256=sha256,
        promoted_by=by,
        previous_run_ids=history,
    )
    condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
    try:
        s3.put_object(
            Bucket=bucket,
            Key=POINTER_KEY,
            Body=pointer.to_json().encode(),
            ContentType="application/json",
            **condition,
        )
    except Exception as error:
        if error_code(error) in {"PreconditionFailed", "ConditionalRequestConflict"}:
            raise ConcurrentUpdateError(
                f"{POINTER_KEY} changed while promoting {run_id}: run the command again"
            ) from error
        raise
    return pointer


def load_model(s3: Any, bucket: str, pointer: ServingPointer) -> tuple[Any, ModelMetadata]:
    """The model the pointer names and its metadata, after checking it is that very file.

    joblib unpickles the model, which runs code: the exact S3 version the pointer records is
    read, and its SHA-256 must match the pointer's before it is unpickled.
    """
    if pointer.model_sha256 is None:
        raise ModelIntegrityError(
            f"{POINTER_KEY} names run {pointer.run_id} without a SHA-256: promote the run "
            "again (the models command's promote) so that it records one"
        )
    request = {"Bucket": bucket, "Key": model_key(pointer.run_id)}
    if pointer.model_version_id:
        request["VersionId"] = pointer.model_version_id
    body = s3.get_object(**request)["Body"].read()
    digest = hashlib.sha256(body).hexdigest()
    if digest != pointer.model_sha256:
        raise ModelIntegrityError(
            f"{model_key(pointer.run_id)} has SHA-256 {digest}, but {POINTER_KEY} names "
            f"{pointer.model_sha256}: the model was changed after its promotion; not loaded"
        )
    return joblib.load(io.BytesIO(body)), read_metadata(s3, bucket, pointer.run_id)


def load_promoted_model(s3: Any, bucket: str) -> tuple[Any, ModelMetadata] | None:
    """The promoted model and its metadata, or None while nothing has been promoted yet."""
    pointer = read_pointer(s3, bucket)
    if pointer is None:
        return None
    return load_model(s3, bucket, pointer)


def read_runs(s3: Any, bucket: str) -> list[dict[str, Any]]:
    """Every run record of the registry, as stored (newest run ids last)."""
    records = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=RUNS_PREFIX):
        for item in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
            records.append(json.loads(body))
    return sorted(records, key=lambda record: record.get("run_id", ""))


# Metrics where a smaller value is the better model (a regression's errors); the others
# (accuracy, macro_f1, roc_auc, r2) are better larger.
LOWER_IS_BETTER = frozenset({"rmse", "mae"})


def ranked(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Runs with a metric, best first in the metric's direction (ties: the later run first),
    then runs without one."""
    scored = [r for r in records if isinstance(r.get("value"), int | float)]
    unscored = [r for r in records if not isinstance(r.get("value"), int | float)]
    scored.sort(
        key=lambda r: (
            -r["value"] if r.get("metric") in LOWER_IS_BETTER else r["value"],
            r.get("run_id", ""),
        ),
        reverse=True,
    )
    unscored.sort(key=lambda r: r.get("run_id", ""), reverse=True)
    return scored + unscored
