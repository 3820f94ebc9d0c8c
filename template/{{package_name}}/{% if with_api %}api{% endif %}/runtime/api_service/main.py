"""The FastAPI app: health check, model description and predictions.

uvicorn serves the module-level ``app``; tests and local experiments build their own app with
``create_app``, passing settings, an S3 client and a clock instead of taking them from the
environment.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Annotated, Any

import boto3
from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.middleware.base import RequestResponseEndpoint
from starlette.responses import Response

from api_service import model_format
from api_service.logging_config import configure_logging
from api_service.model_store import LoadedModel, ModelStore
from api_service.prediction import feature_errors, feature_types, predict, predict_rows
from api_service.schemas import (
    BatchPredictRequest,
    BatchPredictResponse,
    ModelInfo,
    PredictRequest,
    PredictResponse,
    RunSummary,
)
from api_service.settings import Settings

access_logger = logging.getLogger("api_service.access")

NO_MODEL_DETAIL = (
    "no model has been promoted yet: run the pipeline to train a model and promote it "
    "(it writes models/latest.json in the model bucket); the API picks it up within "
    "MODEL_REFRESH_SECONDS"
)


def create_app(
    settings: Settings | None = None,
    s3_client: Any = None,
    *,
    clock: Callable[[], float] = time.monotonic,
) -> FastAPI:
    """Build the API.

    Settings default to the environment and the S3 client to boto3's, both resolved when the
    app starts (not when it is built), so importing this module needs no configuration.
    ``clock`` times the model refresh interval; tests pass one they can move forward.
    """

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        resolved = settings if settings is not None else Settings.from_env()
        configure_logging(resolved.log_level)
        s3 = s3_client if s3_client is not None else boto3.client("s3")
        store = ModelStore(s3, resolved.model_bucket, resolved.model_refresh_seconds, clock)
        # Load before serving, so the first request finds the model ready.
        store.refresh()
        app.state.settings = resolved
        app.state.model_store = store
        yield

    app = FastAPI(
        title="Model API",
        summary="Serves the model the data pipeline promoted.",
        version="1.0.0",
        lifespan=lifespan,
    )
    app.exception_handler(RequestValidationError)(_validation_error)
    app.middleware("http")(_log_request)

    @app.get("/health", tags=["operations"])
    async def health() -> dict[str, str]:
        """Liveness for the load balancer: answers while the process runs, model or not."""
        return {"status": "ok"}

    @app.get("/model", tags=["model"], responses={503: {"description": "No model promoted yet."}})
    def model_info(model: Annotated[LoadedModel, Depends(require_model)]) -> ModelInfo:
        """Describe the model being served: its run, features, classes and metrics."""
        meta = model.metadata
        return ModelInfo(
            run_id=meta.run_id,
            algorithm=meta.algorithm,
            target=meta.target,
            features=meta.features,
            feature_types=feature_types(meta),
            classes=meta.classes,
            metrics=meta.metrics,
            training_rows=meta.training_rows,
            trained_at=meta.trained_at,
            promoted_at=model.pointer.promoted_at,
        )

    # A plain def, not async: FastAPI runs it in a worker thread, so the CPU work of
    # predicting (and the occasional S3 check for a new model) does not block other requests.
    @app.post(
        "/predict", tags=["model"], responses={503: {"description": "No model promoted yet."}}
    )
    def predict_one(
        body: PredictRequest, model: Annotated[LoadedModel, Depends(require_model)]
    ) -> PredictResponse:
        """Predict the class (or the value, for a regression) of one row of features."""
        errors = feature_errors(
            body.features, model.metadata.features, feature_types(model.metadata)
        )
        if errors:
            raise HTTPException(status_code=422, detail=errors)
        return predict(model, body.features)

    @app.post(
        "/predict/batch",
        tags=["model"],
        responses={503: {"description": "No model promoted yet."}},
    )
    def predict_batch(
        body: BatchPredictRequest, model: Annotated[LoadedModel, Depends(require_model)]
    ) -> BatchPredictResponse:
        """Predict up to 1000 rows in one call; each row as POST /predict takes it."""
        errors = []
        types = feature_types(model.metadata)
        for index, row in enumerate(body.rows):
            for error in feature_errors(row, model.metadata.features, types):
                errors.append({**error, "loc": ["body", "rows", index, *error["loc"][2:]]})
        if errors:
            raise HTTPException(status_code=422, detail=errors)
        return BatchPredictResponse(
            run_id=model.metadata.run_id, predictions=predict_rows(model, body.rows)
        )

    @app.get("/runs", tags=["model"])
    def runs(request: Request) -> list[RunSummary]:
        """The registry's runs, best first by their promotion metric; the champion marked."""
        store: ModelStore = request.app.state.model_store
        records = model_format.ranked(model_format.read_runs(store.s3, store.bucket))
        return [
            RunSummary(
                **{key: value for key, value in record.items() if key in RunSummary.model_fields},
                reason=(record.get("decision") or {}).get("reason"),
                champion=record.get("state") == "champion",
            )
            for record in records
        ]

    return app


def require_model(request: Request) -> LoadedModel:
    """The model to serve, or a 503 that tells how to get one: a dependency for endpoints."""
    store: ModelStore = request.app.state.model_store
    model = store.current()
    if model is None:
        raise HTTPException(status_code=503, detail=NO_MODEL_DETAIL)
    return model


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 answer without echoing the input, and naming the feature at fault.

    The input is left out because it may hold NaN or Infinity, which JSON cannot encode
    (FastAPI's default handler fails with a 500 on them), and because it repeats what the
    client sent anyway.
    """
    errors = []
    for error in exc.errors():
        loc = list(error["loc"])
        msg = error["msg"]
        if loc[:2] == ["body", "features"] and len(loc) == 3:
            msg = f"feature {loc[2]!r}: {msg}"
        errors.append({"type": error["type"], "loc": loc, "msg": msg})
    return JSONResponse(status_code=422, content={"detail": jsonable_encoder(errors)})


async def _log_request(request: Request, call_next: RequestResponseEndpoint) -> Response:
    """Write one access-log line per request, in place of uvicorn's (see logging_config)."""
    started = time.perf_counter()
    status = 500  # what the client gets if the endpoint raises
    try:
        response = await call_next(request)
        status = response.status_code
        return response
    finally:
        # Health checks come every few seconds from the load balancer: keep them out of INFO.
        level = logging.DEBUG if request.url.path == "/health" else logging.INFO
        access_logger.log(
            level,
            "%s %s %d",
            request.method,
            request.url.path,
            status,
            extra={
                "method": request.method,
                "path": request.url.path,
                "status": status,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "client": request.client.host if request.client else None,
            },
        )


app = create_app()
