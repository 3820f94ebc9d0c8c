"""The registry of runs: one record per run under registry/runs/, the champion (the serving
pointer models/latest.json), and the lock that lets one execution run at a time.

    registry/runs/<run_id>.json      RunRecord: state, metrics, data version, drift, decision
    registry/lock.json               the run that holds the pipeline, until it releases it
    registry/approvals/<run_id>.json the task token of a run waiting for approval

A run's state moves: running -> candidate -> champion | rejected | pending_approval; a
pending run is approved (champion) or rejected; a champion that another run replaces is
archived; a run whose execution fails is failed.

A run's record is one compact line of JSON whose keys are columns of the lake's table
``runs`` (lake_tables.RUNS): Athena reads each record as one row, and a key the table lacks
is refused before it is written (add the column to RUNS first).

Every write is conditional: a new object with S3's If-None-Match, a change with If-Match on
the ETag that was read. Two writers never interleave: the second gets ConcurrentUpdateError.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pipeline_jobs import lake_tables, model_format, storage
from pipeline_jobs.errors import RunExistsError, RunInProgressError, RunNotFoundError
from pipeline_jobs.model_format import ConcurrentUpdateError, error_code

LOCK_KEY = "registry/lock.json"
APPROVALS_PREFIX = "registry/approvals/"
RUNNING, CANDIDATE, PENDING_APPROVAL = "running", "candidate", "pending_approval"
CHAMPION, REJECTED, ARCHIVED, FAILED = "champion", "rejected", "archived", "failed"
_CONFLICTS = {"PreconditionFailed", "ConditionalRequestConflict"}


def approval_key(run_id: str) -> str:
    return f"{APPROVALS_PREFIX}{run_id}.json"


@dataclass(frozen=True)
class Stored:
    """A JSON object read from the registry and the ETag to change it with."""

    body: dict[str, Any]
    etag: str


def read(s3: Any, bucket: str, key: str) -> Stored | None:
    try:
        response = s3.get_object(Bucket=bucket, Key=key)
    except Exception as error:
        if storage.is_missing_object(error):
            return None
        raise
    return Stored(body=json.loads(response["Body"].read()), etag=response["ETag"])


def write(s3: Any, bucket: str, key: str, body: dict[str, Any], etag: str | None) -> None:
    """Create ``key`` (etag None) or replace the version read with ``etag``, never blindly."""
    condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
    if key.startswith(lake_tables.RUNS.prefix):
        data = lake_tables.json_line(lake_tables.RUNS, body)
    else:
        data = json.dumps(body, indent=2, sort_keys=True).encode()
    try:
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=data,
            ContentType="application/json",
            **condition,
        )
    except Exception as error:
        if error_code(error) in _CONFLICTS:
            raise ConcurrentUpdateError(f"{key} changed since it was read: try again") from error
        raise


def read_run(s3: Any, bucket: str, run_id: str) -> Stored:
    stored = read(s3, bucket, model_format.run_record_key(run_id))
    if stored is None:
        raise RunNotFoundError(f"run {run_id} is not in the registry")
    return stored


def update_run(
    s3: Any, bucket: str, run_id: str, change: Callable[[dict[str, Any]], dict[str, Any]]
) -> dict[str, Any]:
    """Apply ``change`` to a run's record; re-read and re-apply when another writer won."""
    for _ in range(5):
        stored = read_run(s3, bucket, run_id)
        record = {**change(dict(stored.body)), "updated_at": model_format.utc_now()}
        try:
            write(s3, bucket, model_format.run_record_key(run_id), record, stored.etag)
            return record
        except ConcurrentUpdateError:
            continue
    raise ConcurrentUpdateError(f"run {run_id}'s record keeps changing: try again")


def set_state(
    s3: Any, bucket: str, run_id: str, state: str, reason: str, by: str
) -> dict[str, Any]:
    decision = {"state": state, "reason": reason, "by": by, "at": model_format.utc_now()}
    return update_run(
        s3,
        bucket,
        run_id,
        lambda record: {
            **record,
            "state": state,
            "decision": decision,
            "history": [*record.get("history", []), decision],
        },
    )


def register_run(s3: Any, bucket: str, run_id: str, **fields: Any) -> dict[str, Any]:
    """Create the record of a new run; a run id that was used before is refused."""
    now = model_format.utc_now()
    record = {"run_id": run_id, "state": RUNNING, "created_at": now, "updated_at": now, **fields}
    try:
        write(s3, bucket, model_format.run_record_key(run_id), record, None)
    except ConcurrentUpdateError as error:
        raise RunExistsError(
            f"run id {run_id} was used before: start the pipeline with another name "
            "(aws stepfunctions start-execution --name <new run id>)"
        ) from error
    return record


def acquire_lock(
    s3: Any, bucket: str, run_id: str, execution: str, hold_seconds: int
) -> dict[str, Any]:
    """Take the pipeline for ``run_id``, or refuse naming the run that holds it.

    A lock older than ``hold_seconds`` (the execution's time limit) belongs to an execution
    that cannot be running any more, and is taken over.
    """
    now = datetime.now(UTC)
    lock = {
        "run_id": run_id,
        "execution": execution,
        "acquired_at": now.isoformat(timespec="seconds"),
        "expires_at": (now + timedelta(seconds=hold_seconds)).isoformat(timespec="seconds"),
    }
    held = read(s3, bucket, LOCK_KEY)
    if held is not None:
        if held.body.get("run_id") == run_id:
            return held.body
        if datetime.fromisoformat(held.body["expires_at"]) > now:
            raise RunInProgressError(
                f"run {held.body['run_id']} (started {held.body['acquired_at']}) is still "
                "running; one execution runs at a time: wait for it, or stop it with "
                f"aws stepfunctions stop-execution --execution-arn {held.body['execution']}"
            )
    try:
        write(s3, bucket, LOCK_KEY, lock, held.etag if held else None)
    except ConcurrentUpdateError as error:
        raise RunInProgressError(
            f"another execution took the pipeline just before run {run_id}"
        ) from error
    return lock


def release_lock(s3: Any, bucket: str, run_id: str) -> bool:
    """Give the pipeline back if ``run_id`` holds it; whether it did."""
    held = read(s3, bucket, LOCK_KEY)
    if held is None or held.body.get("run_id") != run_id:
        return False
    s3.delete_object(Bucket=bucket, Key=LOCK_KEY)
    return True


def promote_run(
    s3: Any, bucket: str, run_id: str, *, by: str, reason: str, rollback: bool = False
) -> model_format.ServingPointer:
    """Make ``run_id`` the champion: move the pointer, archive the former champion."""
    before = model_format.read_pointer(s3, bucket)
    pointer = model_format.promote(s3, bucket, run_id, by=by, rollback=rollback)
    if before is not None and before.run_id != run_id:
        # A champion promoted before the registry existed has no record to archive.
        with contextlib.suppress(RunNotFoundError):
            set_state(s3, bucket, before.run_id, ARCHIVED, f"replaced by {run_id}", by)
    set_state(s3, bucket, run_id, CHAMPION, reason, by)
    return pointer


def store_approval_token(s3: Any, bucket: str, run_id: str, token: str) -> None:
    storage.put_json(s3, bucket, approval_key(run_id), {"run_id": run_id, "task_token": token})


def pop_approval_token(s3: Any, bucket: str, run_id: str) -> str | None:
    stored = read(s3, bucket, approval_key(run_id))
    if stored is None:
        return None
    s3.delete_object(Bucket=bucket, Key=approval_key(run_id))
    token: str = stored.body["task_token"]
    return token
