"""A newly promoted run is served once the refresh interval has passed, without a restart."""

from __future__ import annotations

import threading
from dataclasses import replace
from typing import Any

from sklearn.tree import DecisionTreeClassifier

from api_service import model_format
from api_service.model_store import LoadedModel, ModelStore


def served_run(client: Any) -> str | None:
    response = client.get("/model")
    return response.json()["run_id"] if response.status_code == 200 else None


def test_a_new_promotion_is_served_after_the_refresh_interval(
    publish_model: Any, make_client: Any, clock: Any, setosa_row: dict[str, float]
) -> None:
    publish_model("run-1")
    client = make_client(refresh_seconds=300)
    publish_model("run-2", DecisionTreeClassifier(random_state=0))

    clock.advance(299)
    assert served_run(client) == "run-1"

    clock.advance(1)
    assert served_run(client) == "run-2"
    assert client.get("/model").json()["algorithm"] == "DecisionTreeClassifier"
    assert client.post("/predict", json={"features": setosa_row}).json()["run_id"] == "run-2"


def test_the_first_promotion_is_picked_up_without_a_restart(
    publish_model: Any, make_client: Any, clock: Any
) -> None:
    client = make_client(refresh_seconds=60)
    assert served_run(client) is None

    publish_model("run-1")
    clock.advance(60)

    assert served_run(client) == "run-1"


def test_the_pointer_is_checked_at_most_once_per_interval(
    publish_model: Any, make_client: Any, clock: Any
) -> None:
    publish_model("run-1")
    client = make_client(refresh_seconds=300)
    clock.advance(300)
    assert served_run(client) == "run-1"  # this request made the check that was due

    publish_model("run-2")
    clock.advance(299)

    assert served_run(client) == "run-1"


def test_a_run_that_cannot_be_loaded_leaves_the_served_model_in_place(
    publish_model: Any, make_client: Any, clock: Any, s3: Any, bucket: str, caplog: Any
) -> None:
    publish_model("run-1")
    client = make_client(refresh_seconds=300)
    broken = replace(model_format.read_metadata(s3, bucket, "run-1"), run_id="run-broken")
    s3.put_object(Bucket=bucket, Key=model_format.model_key("run-broken"), Body=b"not a model")
    s3.put_object(Bucket=bucket, Key=model_format.metadata_key("run-broken"), Body=broken.to_json())
    model_format.promote(s3, bucket, "run-broken")

    clock.advance(300)

    assert served_run(client) == "run-1"
    assert any(
        "could not load the promoted model" in record.getMessage()
        for record in caplog.records
        if record.levelname == "ERROR"
    )


def test_a_model_file_changed_after_its_promotion_is_not_unpickled(
    publish_model: Any, make_client: Any, clock: Any, s3: Any, bucket: str, caplog: Any
) -> None:
    publish_model("run-1")
    client = make_client(refresh_seconds=300)
    publish_model("run-2", promote=False)
    pointer = model_format.promote(s3, bucket, "run-2")
    # Whoever could write the bucket swaps the promoted file and points latest.json at it.
    s3.put_object(Bucket=bucket, Key=model_format.model_key("run-2"), Body=b"planted pickle")
    s3.put_object(
        Bucket=bucket,
        Key=model_format.POINTER_KEY,
        Body=replace(pointer, model_version_id=None).to_json(),
    )

    clock.advance(300)

    assert served_run(client) == "run-1"
    [refused] = [r for r in caplog.records if r.exc_info and r.levelname == "ERROR"]
    assert isinstance(refused.exc_info[1], model_format.ModelIntegrityError)
    assert "changed after its promotion" in str(refused.exc_info[1])


class GatedS3:
    """An S3 client whose reads of the serving pointer wait until the test opens the gate."""

    def __init__(self, s3: Any) -> None:
        self._s3 = s3
        self.gate = threading.Event()
        self.waiting = threading.Event()

    def get_object(self, **kwargs: Any) -> Any:
        if kwargs["Key"] == model_format.POINTER_KEY:
            self.waiting.set()
            self.gate.wait(timeout=10)
        return self._s3.get_object(**kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._s3, name)


def test_requests_keep_the_loaded_model_while_a_check_waits_on_s3(
    publish_model: Any, s3: Any, bucket: str, clock: Any
) -> None:
    publish_model("run-1")
    gated = GatedS3(s3)
    gated.gate.set()
    store = ModelStore(gated, bucket, refresh_seconds=300, clock=clock)
    store.refresh()
    publish_model("run-2")
    clock.advance(300)
    gated.gate.clear()
    gated.waiting.clear()

    checker = threading.Thread(target=store.current)
    checker.start()
    try:
        assert gated.waiting.wait(timeout=5)
        served: list[LoadedModel | None] = []
        reader = threading.Thread(target=lambda: served.append(store.current()))
        reader.start()
        reader.join(timeout=5)
        assert not reader.is_alive(), "a request waited for another request's S3 check"
    finally:
        gated.gate.set()
        checker.join(timeout=10)

    [model] = served
    assert model is not None
    assert model.metadata.run_id == "run-1"
    assert store.model is not None
    assert store.model.metadata.run_id == "run-2"
