"""The registry's writes under concurrency, the lock, and batch scoring's refusals."""

from __future__ import annotations

import json

import pytest

from pipeline_jobs import model_format, registry, score_batch
from pipeline_jobs.errors import MissingColumnError, RunExistsError, RunInProgressError


def test_a_change_based_on_a_stale_read_is_refused(lake):
    registry.register_run(lake.s3, lake.data_bucket, "run-1")
    stale = registry.read_run(lake.s3, lake.data_bucket, "run-1")
    registry.set_state(lake.s3, lake.data_bucket, "run-1", "rejected", "first writer", "test")

    key = model_format.run_record_key("run-1")
    with pytest.raises(model_format.ConcurrentUpdateError):
        registry.write(lake.s3, lake.data_bucket, key, {"state": "champion"}, stale.etag)
    assert registry.read_run(lake.s3, lake.data_bucket, "run-1").body["state"] == "rejected"


def test_a_record_is_one_line_of_the_runs_table_and_an_unknown_key_is_refused(lake):
    registry.register_run(lake.s3, lake.data_bucket, "run-1", trigger="manual")
    registry.set_state(lake.s3, lake.data_bucket, "run-1", "rejected", "too weak", "test")
    key = model_format.run_record_key("run-1")

    body = lake.read(key).decode()
    assert body.endswith("}\n") and body.count("\n") == 1  # Athena: one object, one row
    assert json.loads(body)["history"][0]["reason"] == "too weak"
    stored = registry.read_run(lake.s3, lake.data_bucket, "run-1")
    with pytest.raises(ValueError, match=r"not its columns: \['notes'\]"):
        registry.write(lake.s3, lake.data_bucket, key, {**stored.body, "notes": "x"}, stored.etag)
    assert registry.read_run(lake.s3, lake.data_bucket, "run-1").body == stored.body


def test_a_run_id_is_registered_once(lake):
    registry.register_run(lake.s3, lake.data_bucket, "run-1")
    with pytest.raises(RunExistsError, match="run id run-1 was used before"):
        registry.register_run(lake.s3, lake.data_bucket, "run-1")


def test_the_lock_refuses_a_second_run_and_is_taken_over_once_expired(lake):
    registry.acquire_lock(lake.s3, lake.data_bucket, "run-1", "exec-1", hold_seconds=3600)
    with pytest.raises(RunInProgressError, match="stop-execution --execution-arn exec-1"):
        registry.acquire_lock(lake.s3, lake.data_bucket, "run-2", "exec-2", hold_seconds=3600)
    assert registry.release_lock(lake.s3, lake.data_bucket, "run-2") is False

    registry.release_lock(lake.s3, lake.data_bucket, "run-1")
    registry.acquire_lock(lake.s3, lake.data_bucket, "run-2", "exec-2", hold_seconds=-1)
    # An execution that outlived its time limit cannot be running: its lock is taken over.
    assert registry.acquire_lock(lake.s3, lake.data_bucket, "run-3", "exec-3", 60)["run_id"] == (
        "run-3"
    )


def test_a_models_file_is_written_once(lake):
    lake.store_run("run-1")
    first = lake.s3.head_object(Bucket=lake.data_bucket, Key=model_format.model_key("run-1"))
    lake.store_run("run-1")  # a retried training keeps the first attempt's model
    again = lake.s3.head_object(Bucket=lake.data_bucket, Key=model_format.model_key("run-1"))
    assert again["VersionId"] == first["VersionId"]


def test_scoring_refuses_a_file_without_the_models_features(lake):
    lake.store_run("run-1")
    model_format.promote(lake.s3, lake.data_bucket, "run-1")
    lake.s3.put_object(Bucket=lake.data_bucket, Key="raw/jury/test.csv", Body=b"id,y\n1,2\n")
    with pytest.raises(MissingColumnError, match=r"lacks the model's features \['x'\]"):
        score_batch.score(lake.s3, lake.data_bucket, "raw/jury/test.csv")
    assert lake.keys(lake.data_bucket, score_batch.PREDICTIONS_PREFIX) == []
