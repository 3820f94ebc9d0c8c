"""Fixtures for the API tests: an in-process S3 bucket (moto), a tiny iris model, app clients."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import boto3
import pytest
from fastapi.testclient import TestClient
from sklearn.base import ClassifierMixin
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from api_service import model_format
from api_service.main import create_app
from api_service.model_format import ModelMetadata
from api_service.settings import Settings

BUCKET = "test-model-bucket"
REGION = "eu-west-1"
FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
CLASSES = ["setosa", "versicolor", "virginica"]

# Four rows of each species from the iris data set: enough for a model that separates them.
ROWS = [
    ([5.1, 3.5, 1.4, 0.2], "setosa"),
    ([4.9, 3.0, 1.4, 0.2], "setosa"),
    ([4.7, 3.2, 1.3, 0.2], "setosa"),
    ([5.0, 3.6, 1.4, 0.2], "setosa"),
    ([7.0, 3.2, 4.7, 1.4], "versicolor"),
    ([6.4, 3.2, 4.5, 1.5], "versicolor"),
    ([6.9, 3.1, 4.9, 1.5], "versicolor"),
    ([5.5, 2.3, 4.0, 1.3], "versicolor"),
    ([6.3, 3.3, 6.0, 2.5], "virginica"),
    ([5.8, 2.7, 5.1, 1.9], "virginica"),
    ([7.1, 3.0, 5.9, 2.1], "virginica"),
    ([6.5, 3.0, 5.8, 2.2], "virginica"),
]


class FakeClock:
    """A monotonic clock that only moves when a test moves it."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Undo the logging set-up the app does at start-up, so no test leaks it to the next."""
    loggers = [logging.getLogger(), *map(logging.getLogger, logging.root.manager.loggerDict)]
    saved = [(lg, lg.handlers[:], lg.level, lg.propagate) for lg in loggers]
    yield
    for lg, handlers, level, propagate in saved:
        lg.handlers[:] = handlers
        lg.setLevel(level)
        lg.propagate = propagate


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch, aws: Callable[[], None]) -> Any:
    """An S3 client on moto's in-process S3, in an empty account with the (empty) model
    bucket created."""
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    aws()
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    return client


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def bucket() -> str:
    """The model bucket the app is configured with."""
    return BUCKET


@pytest.fixture
def setosa_row() -> dict[str, float]:
    """Features of a flower the model must call setosa (not one of the training rows)."""
    return dict(zip(FEATURES, [5.0, 3.4, 1.5, 0.2], strict=True))


@pytest.fixture
def publish_model(s3: Any) -> Callable[..., ModelMetadata]:
    """Train the tiny iris model, store it as run ``run_id`` and promote it (as the pipeline)."""

    def publish(
        run_id: str,
        estimator: ClassifierMixin | None = None,
        *,
        promote: bool = True,
        imputing: bool = False,
    ) -> ModelMetadata:
        fitted = estimator if estimator is not None else LogisticRegression(max_iter=1000)
        if imputing:
            # As the pipeline's models do: missing values are imputed inside the model.
            fitted = make_pipeline(SimpleImputer(strategy="median"), fitted)
        features = [row for row, _ in ROWS]
        labels = [label for _, label in ROWS]
        fitted.fit(features, labels)
        metadata = ModelMetadata(
            run_id=run_id,
            trained_at=model_format.utc_now(),
            algorithm=type(fitted).__name__,
            target="species",
            features=FEATURES,
            classes=CLASSES,
            metrics={"accuracy": float(fitted.score(features, labels))},
            training_rows=len(ROWS),
        )
        model_format.write_model(s3, BUCKET, fitted, metadata)
        if promote:
            model_format.promote(s3, BUCKET, run_id)
        return metadata

    return publish


@pytest.fixture
def make_client(s3: Any, clock: FakeClock) -> Iterator[Callable[..., TestClient]]:
    """Start the app against the moto bucket, as uvicorn would; it stops after the test.

    The app loads the promoted model at start-up, so publish a model before making the client.
    """
    with ExitStack() as running:

        def make(refresh_seconds: int = 300) -> TestClient:
            settings = Settings(model_bucket=BUCKET, model_refresh_seconds=refresh_seconds)
            app = create_app(settings, s3, clock=clock)
            return running.enter_context(TestClient(app))

        yield make
