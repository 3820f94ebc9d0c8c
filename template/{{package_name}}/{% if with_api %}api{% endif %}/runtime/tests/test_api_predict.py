"""POST /predict answers with the model's class and probabilities, and rejects bad rows."""

from __future__ import annotations

import math
from typing import Any

import pytest


@pytest.fixture
def client(publish_model: Any, make_client: Any) -> Any:
    publish_model("run-1")
    return make_client()


def test_predict_answers_class_probabilities_and_run(
    client: Any, setosa_row: dict[str, float]
) -> None:
    response = client.post("/predict", json={"features": setosa_row})

    assert response.status_code == 200
    body = response.json()
    assert body["prediction"] == "setosa"
    assert body["run_id"] == "run-1"
    probabilities = body["probabilities"]
    assert set(probabilities) == {"setosa", "versicolor", "virginica"}
    assert math.isclose(sum(probabilities.values()), 1.0)
    assert max(probabilities, key=probabilities.get) == "setosa"


def test_predict_tells_the_species_apart(client: Any) -> None:
    virginica = {"sepal_length": 6.7, "sepal_width": 3.0, "petal_length": 5.7, "petal_width": 2.3}

    response = client.post("/predict", json={"features": virginica})

    assert response.json()["prediction"] == "virginica"


def test_integer_values_are_numbers_too(client: Any) -> None:
    row = {"sepal_length": 5, "sepal_width": 3, "petal_length": 1, "petal_width": 0}

    response = client.post("/predict", json={"features": row})

    assert response.status_code == 200


def test_predict_is_503_while_nothing_is_promoted(
    make_client: Any, setosa_row: dict[str, float]
) -> None:
    client = make_client()

    response = client.post("/predict", json={"features": setosa_row})

    assert response.status_code == 503
    assert response.json()["detail"].startswith("no model has been promoted yet")


def test_a_missing_feature_is_422_naming_it(client: Any, setosa_row: dict[str, float]) -> None:
    del setosa_row["petal_width"]

    response = client.post("/predict", json={"features": setosa_row})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "features", "petal_width"]
    assert "'petal_width' is missing" in error["msg"]


def test_an_unknown_feature_is_422_naming_it(client: Any, setosa_row: dict[str, float]) -> None:
    setosa_row["colour"] = 1.0

    response = client.post("/predict", json={"features": setosa_row})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "features", "colour"]
    assert "'colour' is not one the model knows" in error["msg"]


def test_null_is_a_missing_value_the_model_imputes(
    publish_model: Any, make_client: Any, setosa_row: dict[str, Any]
) -> None:
    publish_model("run-1", imputing=True)
    setosa_row["sepal_width"] = None

    response = make_client().post("/predict", json={"features": setosa_row})

    assert response.status_code == 200, response.text
    assert response.json()["prediction"] == "setosa"


@pytest.mark.parametrize("value", ["5.1", "five", True, [5.1], {"a": 1}])
def test_a_value_that_is_not_a_number_is_422_naming_the_feature(
    client: Any, setosa_row: dict[str, Any], value: Any
) -> None:
    setosa_row["sepal_width"] = value

    response = client.post("/predict", json={"features": setosa_row})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "features", "sepal_width"]
    assert error["msg"].startswith("feature 'sepal_width': ")


# Python's JSON parser, which the API uses, reads these tokens as non-finite floats.
@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_a_value_that_is_not_finite_is_422_naming_the_feature(client: Any, token: str) -> None:
    body = (
        '{"features": {"sepal_length": 5.0, "sepal_width": 3.4, '
        f'"petal_length": {token}, "petal_width": 0.2}}}}'
    )

    response = client.post("/predict", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "features", "petal_length"]
    assert error["msg"] == "feature 'petal_length': Input should be a finite number"


def test_a_body_without_features_is_422(client: Any, setosa_row: dict[str, float]) -> None:
    response = client.post("/predict", json={"feature": setosa_row})

    assert response.status_code == 422
    locations = [error["loc"] for error in response.json()["detail"]]
    assert ["body", "features"] in locations
    assert ["body", "feature"] in locations
