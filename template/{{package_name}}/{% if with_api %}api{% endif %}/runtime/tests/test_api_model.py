"""GET /model describes the promoted model, or says that there is none yet."""

from __future__ import annotations

from typing import Any

from api_service import model_format


def test_model_describes_the_promoted_run(
    publish_model: Any, make_client: Any, s3: Any, bucket: str
) -> None:
    metadata = publish_model("run-1")
    pointer = model_format.read_pointer(s3, bucket)
    assert pointer is not None
    client = make_client()

    response = client.get("/model")

    assert response.status_code == 200
    assert response.json() == {
        "run_id": "run-1",
        "algorithm": "LogisticRegression",
        "target": "species",
        "features": ["sepal_length", "sepal_width", "petal_length", "petal_width"],
        "feature_types": dict.fromkeys(
            ["sepal_length", "sepal_width", "petal_length", "petal_width"], "numeric"
        ),
        "classes": ["setosa", "versicolor", "virginica"],
        "metrics": metadata.metrics,
        "training_rows": 12,
        "trained_at": metadata.trained_at,
        "promoted_at": pointer.promoted_at,
    }


def test_model_is_503_with_a_hint_while_nothing_is_promoted(make_client: Any) -> None:
    client = make_client()

    response = client.get("/model")

    assert response.status_code == 503
    assert response.json()["detail"].startswith("no model has been promoted yet: run the pipeline")


def test_a_stored_but_unpromoted_run_is_not_served(publish_model: Any, make_client: Any) -> None:
    publish_model("run-1", promote=False)
    client = make_client()

    assert client.get("/model").status_code == 503
