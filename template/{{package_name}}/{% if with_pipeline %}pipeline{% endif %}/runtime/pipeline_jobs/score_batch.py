"""Batch scoring: a prediction for every row of a CSV file in the data bucket, written once to
processed/predictions/<run_id>/<batch_id>/predictions.csv, with _manifest.json beside it
(a name starting with "_" is hidden to Athena, which reads the CSV files as the table
``predictions`` of lake_tables.py).

Input (the models command's ``score`` invokes it):

    {"input_key": "raw/jury/test.csv", "run_id": "<run>" (default: the champion),
     "batch_id": "<name>" (default: a fresh, sortable id)}

Output: the manifest, {"run_id", "batch_id", "input_key", "rows", "output_key",
"manifest_key", "model_sha256", "columns", "created_at"}.

The file is streamed: rows are read, predicted and written CHUNK_ROWS at a time into a
temporary file, so memory holds one chunk, never the whole file. The output starts with the
catalogued columns (lake_tables.PREDICTION_COLUMNS: ``row_number`` from 1, ``prediction``,
``probability`` of the predicted class, empty for a model without probabilities,
``scored_at``, ``model_sha256``), then the input's columns and, for a model with
probabilities, ``probability_<class>``: the same answers POST /predict gives for each row.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from aws_lambda_powertools.utilities.typing import LambdaContext

from pipeline_jobs import aws, lake_tables, model_format
from pipeline_jobs.errors import (
    ConfigurationError,
    MalformedCsvError,
    MissingColumnError,
    NonNumericFeatureError,
    RunNotFoundError,
)
from pipeline_jobs.features import is_number
from pipeline_jobs.observability import logger, tracer
from pipeline_jobs.runs import new_run_id, validate_run_id
from pipeline_jobs.settings import Settings

PREDICTIONS_PREFIX = lake_tables.PREDICTIONS.prefix
MANIFEST_NAME = "_manifest.json"
CHUNK_ROWS = 5000
# Where the team puts the files to score (the function may read nothing else).
INPUT_PREFIXES = ("raw/", "processed/")


def output_prefix(run_id: str, batch_id: str) -> str:
    return f"{PREDICTIONS_PREFIX}{run_id}/{batch_id}/"


def model_to_score_with(
    s3: Any, bucket: str, run_id: str | None
) -> tuple[Any, model_format.ModelMetadata]:
    """The champion's model, or the named run's, checked against its recorded SHA-256."""
    if run_id is None:
        pointer = model_format.read_pointer(s3, bucket)
        if pointer is None:
            raise RunNotFoundError("no model has been promoted yet: name a run to score with")
    else:
        metadata = model_format.read_metadata(s3, bucket, run_id)
        pointer = model_format.ServingPointer(
            run_id=run_id,
            promoted_at="",
            model_version_id=metadata.model_version_id,
            model_sha256=metadata.model_sha256,
        )
    return model_format.load_model(s3, bucket, pointer)


def feature_matrix(
    metadata: model_format.ModelMetadata, rows: Sequence[Mapping[str, str]], first_line: int
) -> npt.NDArray[np.object_]:
    """The rows' features as the model takes them (the API builds the same): in the order of
    metadata.features, numbers for numeric features, texts for categorical ones, NaN where a
    cell is empty; the model's own preprocessing imputes and encodes them."""
    types = metadata.extra.get("feature_types") or {}
    matrix = np.empty((len(rows), len(metadata.features)), dtype=object)
    for column, name in enumerate(metadata.features):
        categorical = types.get(name) == "categorical"
        for offset, row in enumerate(rows):
            cell = row[name].strip()
            if not cell:
                matrix[offset, column] = math.nan
            elif categorical:
                matrix[offset, column] = cell
            elif is_number(cell):
                matrix[offset, column] = float(cell)
            else:
                raise NonNumericFeatureError(
                    f"line {first_line + offset}: feature {name!r} is {row[name]!r}, not a number"
                )
    return matrix


def predict_chunk(
    model: Any,
    metadata: model_format.ModelMetadata,
    rows: Sequence[Mapping[str, str]],
    first_line: int,
) -> list[list[str]]:
    """Each row's prediction, the probability of it ("" without probabilities) and the
    probability of each class, as POST /predict would answer each one."""
    matrix = feature_matrix(metadata, rows, first_line)
    predictions = model.predict(matrix)
    scores = model.predict_proba(matrix) if hasattr(model, "predict_proba") else None
    if scores is None:
        return [[str(prediction), ""] for prediction in predictions]
    classes = list(model.classes_)
    return [
        [str(prediction), repr(float(scores[index][classes.index(prediction)]))]
        + [repr(float(s)) for s in scores[index]]
        for index, prediction in enumerate(predictions)
    ]


def _chunks(reader: Iterator[dict[str, str]]) -> Iterator[list[dict[str, str]]]:
    chunk: list[dict[str, str]] = []
    for row in reader:
        chunk.append(row)
        if len(chunk) == CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@tracer.capture_method
def score(
    s3: Any, bucket: str, input_key: str, run_id: str | None = None, batch_id: str | None = None
) -> dict[str, Any]:
    """Score ``input_key`` with the champion (or ``run_id``); write predictions and manifest."""
    if not input_key.startswith(INPUT_PREFIXES) or input_key.endswith("/"):
        raise ConfigurationError(
            f"input_key must name a CSV file under {' or '.join(INPUT_PREFIXES)}, got {input_key!r}"
        )
    model, metadata = model_to_score_with(s3, bucket, run_id)
    batch = validate_run_id(batch_id) if batch_id else new_run_id()
    body = s3.get_object(Bucket=bucket, Key=input_key)["Body"]
    reader = csv.DictReader(codecs.getreader("utf-8-sig")(body))
    header = list(reader.fieldnames or [])
    missing = [name for name in metadata.features if name not in header]
    if not header or missing:
        raise MissingColumnError(
            f"{input_key} lacks the model's features {missing or metadata.features}; "
            f"its header is {header}"
        )
    has_probabilities = hasattr(model, "predict_proba")
    columns = [*lake_tables.PREDICTIONS.column_names, *header]
    if has_probabilities:
        columns += [f"probability_{label}" for label in model.classes_]
    rows = 0
    scored_at = model_format.utc_now()
    with tempfile.TemporaryFile() as spool:
        text = io.TextIOWrapper(spool, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(columns)
        for chunk in _chunks(reader):
            if any(None in row or None in row.values() for row in chunk):
                raise MalformedCsvError(f"{input_key}: a row's length differs from the header's")
            answers = predict_chunk(model, metadata, chunk, first_line=rows + 2)
            for number, (row, answer) in enumerate(zip(chunk, answers, strict=True), rows + 1):
                prediction, probability, *per_class = answer
                leading = [number, prediction, probability, scored_at, metadata.model_sha256]
                writer.writerow(leading + [row[name] for name in header] + per_class)
            rows += len(chunk)
        text.flush()
        spool.seek(0)
        prefix = output_prefix(metadata.run_id, batch)
        model_format.put_once(s3, bucket, f"{prefix}predictions.csv", spool, ContentType="text/csv")
        text.detach()
    manifest = {
        "run_id": metadata.run_id,
        "batch_id": batch,
        "input_key": input_key,
        "rows": rows,
        "columns": columns,
        "output_key": f"{prefix}predictions.csv",
        "manifest_key": f"{prefix}{MANIFEST_NAME}",
        "model_sha256": metadata.model_sha256,
        "created_at": scored_at,
    }
    model_format.put_once(
        s3,
        bucket,
        manifest["manifest_key"],
        json.dumps(manifest, indent=2, sort_keys=True).encode(),
        ContentType="application/json",
    )
    logger.info("batch scored", extra={"rows": rows, "output_key": manifest["output_key"]})
    return manifest


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any] | None, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point of batch scoring."""
    event = event or {}
    if not isinstance(event.get("input_key"), str):
        raise ConfigurationError('the event needs "input_key": the CSV file to score')
    run_id = validate_run_id(event["run_id"]) if event.get("run_id") else None
    settings = Settings.from_env()
    return score(
        aws.client("s3"), settings.data_bucket, event["input_key"], run_id, event.get("batch_id")
    )
