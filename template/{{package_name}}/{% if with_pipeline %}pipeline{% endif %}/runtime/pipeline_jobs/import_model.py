"""Import step: promote a run's model when its metric passes the threshold.

Input: the training step's output; only ``run_id`` is read, because the decision uses the
metrics stored in models/<run_id>/metadata.json (the same metadata the API serves), which
also exist when training ran as a Fargate task that returned nothing to Step Functions.

    {"run_id": "20250301T120000Z-3f9a1c", ...}

Output when promoted:

    {"promoted": true, "run_id", "metric", "value", "threshold", "previous_run_id",
     "promoted_at", "api_rollout": {"cluster", "service", "deployment_id"} | null}

Output when not promoted (the serving pointer is left as it was):

    {"promoted": false, "run_id", "metric", "value", "threshold", "previous_run_id",
     "reason"}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from pipeline_jobs import model_format, storage
from pipeline_jobs.errors import ConfigurationError, RunNotFoundError
from pipeline_jobs.observability import logger, tracer
from pipeline_jobs.runs import validate_run_id
from pipeline_jobs.settings import Settings


def read_run_metadata(s3: Any, bucket: str, run_id: str) -> model_format.ModelMetadata:
    try:
        return model_format.read_metadata(s3, bucket, run_id)
    except ClientError as error:
        if storage.is_missing_object(error):
            raise RunNotFoundError(
                f"run {run_id}: no model at s3://{bucket}/{model_format.metadata_key(run_id)}"
            ) from error
        raise


def roll_api(ecs: Any, cluster: str, service: str) -> dict[str, Any]:
    """Start a new deployment of the API service, so its tasks load the promoted model."""
    response = ecs.update_service(cluster=cluster, service=service, forceNewDeployment=True)
    deployments = response["service"].get("deployments", [])
    primary = next((d["id"] for d in deployments if d.get("status") == "PRIMARY"), None)
    logger.info("API deployment requested", extra={"cluster": cluster, "service": service})
    return {"cluster": cluster, "service": service, "deployment_id": primary}


@tracer.capture_method
def import_run(
    run_id: str, settings: Settings, s3: Any, ecs_client: Callable[[], Any]
) -> dict[str, Any]:
    """Promote ``run_id`` if its metric passes the threshold; roll the API if configured.

    ``ecs_client`` is only called when a promotion needs the API rolled.
    """
    metadata = read_run_metadata(s3, settings.data_bucket, run_id)
    metric = settings.promotion_metric
    if metric not in metadata.metrics:
        raise ConfigurationError(
            f"PROMOTION_METRIC {metric!r} is not among run {run_id}'s metrics "
            f"{sorted(metadata.metrics)}"
        )
    value = metadata.metrics[metric]
    current = model_format.read_pointer(s3, settings.data_bucket)
    decision: dict[str, Any] = {
        "run_id": run_id,
        "metric": metric,
        "value": value,
        "threshold": settings.promotion_threshold,
        "previous_run_id": current.run_id if current else None,
    }
    if value < settings.promotion_threshold:
        reason = f"{metric} {value} is below the promotion threshold {settings.promotion_threshold}"
        logger.info("run not promoted", extra={"reason": reason})
        return {"promoted": False, **decision, "reason": reason}

    pointer = model_format.promote(s3, settings.data_bucket, run_id)
    logger.info("run promoted", extra={"metric": metric, "value": value})
    rollout = None
    if settings.api_cluster_name and settings.api_service_name:
        rollout = roll_api(ecs_client(), settings.api_cluster_name, settings.api_service_name)
    return {
        "promoted": True,
        **decision,
        "promoted_at": pointer.promoted_at,
        "api_rollout": rollout,
    }


def run_id_from_event(event: Mapping[str, Any] | None) -> str:
    event = event or {}
    if "run_id" not in event:
        raise ConfigurationError("the import event needs a run_id (the training step's output)")
    return validate_run_id(event["run_id"])


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any] | None, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point of the import step."""
    run_id = run_id_from_event(event)
    logger.append_keys(run_id=run_id)
    return import_run(run_id, Settings.from_env(), boto3.client("s3"), lambda: boto3.client("ecs"))
