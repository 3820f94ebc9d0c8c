"""The health check and the docs answer whatever the state of the model and of S3."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from api_service.main import create_app
from api_service.settings import Settings


def test_health_is_ok_before_any_model_is_promoted(make_client: Any) -> None:
    client = make_client()

    response = client.get("/health")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_is_ok_when_the_model_bucket_cannot_be_read(s3: Any) -> None:
    # A bucket that does not exist: every S3 call the app makes fails.
    app = create_app(Settings(model_bucket="no-such-bucket"), s3)
    with TestClient(app) as client:
        health = client.get("/health")
        model = client.get("/model")

    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert model.status_code == 503


def test_openapi_docs_are_served(make_client: Any) -> None:
    client = make_client()

    docs = client.get("/docs")
    schema = client.get("/openapi.json").json()

    assert docs.status_code == 200
    assert {"/health", "/model", "/predict"} <= set(schema["paths"])
