"""Keeps the promoted model in memory and swaps in a newly promoted run while the API runs."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from api_service import model_format
from api_service.model_format import ModelMetadata, ServingPointer

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoadedModel:
    """A fitted estimator with its metadata and the pointer that promoted it.

    The three are swapped in as one object, so a request never sees the estimator of one run
    with the metadata of another.
    """

    estimator: Any
    metadata: ModelMetadata
    pointer: ServingPointer


class ModelStore:
    """The model the API serves, reloaded when models/latest.json names another run.

    ``refresh`` checks the pointer now (the app calls it at start-up); ``current`` checks it at
    most every ``refresh_seconds``, so that a request costs an S3 call only now and then.
    """

    def __init__(
        self,
        s3: Any,
        bucket: str,
        refresh_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._s3 = s3
        self._bucket = bucket
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._model: LoadedModel | None = None
        self._checked_at: float | None = None

    @property
    def s3(self) -> Any:
        return self._s3

    @property
    def bucket(self) -> str:
        return self._bucket

    @property
    def model(self) -> LoadedModel | None:
        """The loaded model, without checking for a newer one."""
        return self._model

    def current(self) -> LoadedModel | None:
        """The model to serve, after checking for a newly promoted run if one is due.

        While one request checks, concurrent requests go on with the model already loaded
        instead of waiting for S3.
        """
        if self._refresh_due() and self._lock.acquire(blocking=False):
            try:
                # Another request may have finished a check since ours was found due.
                if self._refresh_due():
                    self._refresh_locked()
            finally:
                self._lock.release()
        return self._model

    def refresh(self) -> LoadedModel | None:
        """Check models/latest.json now and load the run it names if it is not loaded yet."""
        with self._lock:
            self._refresh_locked()
        return self._model

    def _refresh_due(self) -> bool:
        return self._checked_at is None or self._clock() - self._checked_at >= self._refresh_seconds

    def _refresh_locked(self) -> None:
        # Counted from the start of the check, failed or not, so a broken bucket is not
        # retried on every request.
        self._checked_at = self._clock()
        loaded = self._model
        try:
            pointer = model_format.read_pointer(self._s3, self._bucket)
            if pointer is None:
                if loaded is None:
                    logger.info("no model has been promoted yet in s3://%s", self._bucket)
                else:
                    logger.warning(
                        "models/latest.json is gone; still serving run %s", loaded.pointer.run_id
                    )
                return
            if (
                loaded is not None
                and loaded.pointer.run_id == pointer.run_id
                and loaded.pointer.model_sha256 == pointer.model_sha256
            ):
                # The same run promoted again: only promoted_at changes.
                self._model = replace(loaded, pointer=pointer)
                return
            self._model = self._load(pointer)
            logger.info(
                "loaded model run %s",
                pointer.run_id,
                extra={"run_id": pointer.run_id, "algorithm": self._model.metadata.algorithm},
            )
        except Exception:
            # A bad promotion (unreadable model, S3 outage) must not take the API down: keep
            # serving what is loaded and let the logs tell what went wrong.
            logger.exception(
                "could not load the promoted model from s3://%s; still serving %s",
                self._bucket,
                loaded.pointer.run_id if loaded else "no model",
            )

    def _load(self, pointer: ServingPointer) -> LoadedModel:
        # Loads the run the pointer we read names (rather than model_format.load_promoted_model,
        # which reads the pointer again), so the estimator, its metadata and the promoted_at
        # shown by /model always belong to the same run.
        # load_model checks the file's SHA-256 against the pointer before unpickling it.
        estimator, metadata = model_format.load_model(self._s3, self._bucket, pointer)
        return LoadedModel(estimator=estimator, metadata=metadata, pointer=pointer)
