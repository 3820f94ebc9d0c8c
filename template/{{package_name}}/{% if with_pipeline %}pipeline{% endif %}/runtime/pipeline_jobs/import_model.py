"""The registry step of the pipeline: claim a run, decide on its model, wait for approval,
release the pipeline. One Lambda function; the event's ``action`` says which.

- ``claim`` (first step): take the pipeline's lock and register the run; a second start
  while a run holds the lock fails with RunInProgressError, a reused run id with
  RunExistsError. Input ``{"run_id", "execution", ...}``; output: the input.
- ``evaluate`` (the default, after training): record the run's metrics, drift and data
  version in the registry, publish its drift, and decide. A run is promoted only when it
  reaches the floor (PROMOTION_THRESHOLD) and beats the champion by PROMOTION_MARGIN, and,
  when DRIFT_BLOCKS_PROMOTION is on, its features did not drift. In manual mode a run that
  passes waits for approval instead. The drift is written as a metric (embedded metric format
  in the log); the state machine notifies the topic of a drift. Output:

      {"promoted", "needs_approval", "run_id", "metric", "value", "threshold", "margin",
       "previous_run_id", "champion_value", "drift_status", "drifted_features",
       "drift_blocks_promotion", "reason", "promoted_at", "api_rollout"}

- ``await_approval``: keep the execution's task token for the models command (the state
  machine has told the notification topic that the run waits).
- ``release`` (last step, also after a failure): give the lock back; ``failed: true`` marks
  the run failed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError

from pipeline_jobs import aws, estimators, model_format, registry, storage
from pipeline_jobs.errors import ConfigurationError, RunExistsError, RunNotFoundError
from pipeline_jobs.observability import logger, tracer
from pipeline_jobs.runs import validate_run_id
from pipeline_jobs.settings import Settings

PIPELINE = "pipeline"


@dataclass(frozen=True)
class Clients:
    """The AWS clients of the step; ECS's is made only when the API is rolled."""

    s3: Any
    ecs: Callable[[], Any] = lambda: aws.client("ecs")


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


def publish_drift(settings: Settings, run_id: str, status: str | None) -> None:
    """The run's drift as a CloudWatch metric (1: drift detected, 0: none).

    Written as one line of CloudWatch's embedded metric format to the function's log, which
    CloudWatch turns into the metric: no call to CloudWatch, so no network route is needed.
    """
    if not settings.metric_namespace:
        return
    environment = settings.environment or "-"
    print(
        json.dumps(
            {
                "_aws": {
                    "Timestamp": int(time.time() * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": settings.metric_namespace,
                            "Dimensions": [["Environment"]],
                            "Metrics": [{"Name": settings.drift_metric_name, "Unit": "Count"}],
                        }
                    ],
                },
                "Environment": environment,
                "run_id": run_id,
                settings.drift_metric_name: 1 if status == "drift_detected" else 0,
            }
        ),
        flush=True,
    )


def decide(
    settings: Settings,
    value: float,
    champion_value: float | None,
    drift_status: str | None,
    task_type: str = "classification",
) -> str | None:
    """Why the run is not promoted, or None when it may be. A metric where lower is better
    (rmse, mae) must be at most the floor and beat the champion by going below it."""
    metric, floor = settings.promotion_metric, settings.promotion_threshold
    higher = estimators.metric(task_type, metric).higher_is_better  # type: ignore[arg-type]
    sign = 1.0 if higher else -1.0
    if sign * value < sign * floor:
        side = "below" if higher else "above"
        return f"{metric} {value} is {side} the promotion threshold {floor}"
    if champion_value is not None:
        margin = settings.promotion_margin
        gain = sign * (value - champion_value)
        if gain < margin or (margin == 0 and value == champion_value):
            return (
                f"{metric} {value} does not beat the champion's {champion_value} "
                f"by the margin {margin}"
            )
    if settings.drift_blocks_promotion and drift_status == "drift_detected":
        return "its features drifted and pipeline.drift_blocks_promotion is on"
    return None


@tracer.capture_method
def evaluate_run(run_id: str, settings: Settings, clients: Clients) -> dict[str, Any]:
    """Record the run in the registry and promote it, reject it, or make it wait."""
    s3, bucket = clients.s3, settings.data_bucket
    metadata = read_run_metadata(s3, bucket, run_id)
    metric = settings.promotion_metric
    if metric not in metadata.metrics:
        raise ConfigurationError(
            f"PROMOTION_METRIC {metric!r} is not among run {run_id}'s metrics "
            f"{sorted(metadata.metrics)}"
        )
    value = metadata.metrics[metric]
    task_type = metadata.extra.get("task_type", "classification")
    training = registry.read(s3, bucket, storage.training_result_key(run_id))
    drift = registry.read(s3, bucket, storage.drift_report_key(run_id))
    drift_status = drift.body.get("status") if drift else None
    if registry.read(s3, bucket, model_format.run_record_key(run_id)) is None:
        registry.register_run(s3, bucket, run_id, trigger="import")
    registry.update_run(
        s3,
        bucket,
        run_id,
        lambda record: {
            **record,
            "state": registry.CANDIDATE,
            "metric": metric,
            "value": value,
            "metrics": metadata.metrics,
            "trained_at": metadata.trained_at,
            "dataset_date": metadata.extra.get("dataset_date"),
            "data_version": {
                "features_key": metadata.extra.get("features_key"),
                "features_version_id": metadata.extra.get("features_version_id"),
            },
            "parameters": {
                "task_type": task_type,
                "algorithm": metadata.algorithm,
                "target": metadata.target,
                "features": metadata.features,
                "training_rows": metadata.training_rows,
                # The fitted estimator's parameters, as JSON (their names vary by model).
                "hyperparameters": json.dumps(
                    metadata.extra.get("parameters") or {}, sort_keys=True
                ),
            },
            "search_trials": len(json.loads(training.body.get("trials") or "[]"))
            if training
            else 0,
            "duration_seconds": training.body.get("duration_seconds") if training else None,
            "drift_status": drift_status,
            "model_sha256": metadata.model_sha256,
            "model_version_id": metadata.model_version_id,
            "training_result_key": storage.training_result_key(run_id) if training else None,
        },
    )
    publish_drift(settings, run_id, drift_status)

    champion = model_format.read_pointer(s3, bucket)
    champion_value = None
    if champion is not None and champion.run_id != run_id:
        champion_value = read_run_metadata(s3, bucket, champion.run_id).metrics.get(metric)
    decision: dict[str, Any] = {
        "run_id": run_id,
        "metric": metric,
        "value": value,
        "threshold": settings.promotion_threshold,
        "margin": settings.promotion_margin,
        "previous_run_id": champion.run_id if champion else None,
        "champion_value": champion_value,
        "drift_status": drift_status,
        "drifted_features": drift.body.get("drifted_features", []) if drift else [],
        "drift_blocks_promotion": settings.drift_blocks_promotion,
        "needs_approval": False,
    }
    reason = decide(settings, value, champion_value, drift_status, task_type)
    if reason is not None:
        registry.set_state(s3, bucket, run_id, registry.REJECTED, reason, PIPELINE)
        logger.info("run not promoted", extra={"reason": reason})
        return {"promoted": False, **decision, "reason": reason}
    if settings.promotion_mode == "manual":
        reason = "passes the promotion rules; promotion is manual in this environment"
        registry.set_state(s3, bucket, run_id, registry.PENDING_APPROVAL, reason, PIPELINE)
        return {"promoted": False, **decision, "needs_approval": True, "reason": reason}

    reason = (
        f"{metric} {value} beats the champion's {champion_value}"
        if champion_value is not None
        else f"{metric} {value} reaches the threshold {settings.promotion_threshold}"
    )
    pointer = registry.promote_run(s3, bucket, run_id, by=PIPELINE, reason=reason)
    logger.info("run promoted", extra={"metric": metric, "value": value})
    return {
        "promoted": True,
        **decision,
        "reason": reason,
        "promoted_at": pointer.promoted_at,
        "api_rollout": roll_if_configured(settings, clients),
    }


def roll_if_configured(settings: Settings, clients: Clients) -> dict[str, Any] | None:
    if settings.api_cluster_name and settings.api_service_name:
        return roll_api(clients.ecs(), settings.api_cluster_name, settings.api_service_name)
    return None


def claim(event: Mapping[str, Any], settings: Settings, s3: Any) -> dict[str, Any]:
    """Take the pipeline for the run and register it; the output is the step's input."""
    run_id = run_id_from_event(event)
    execution = str(event.get("execution", ""))
    registry.acquire_lock(s3, settings.data_bucket, run_id, execution, settings.lock_seconds)
    try:
        registry.register_run(
            s3,
            settings.data_bucket,
            run_id,
            execution=execution,
            trigger=event.get("trigger", "manual"),
        )
    except RunExistsError:
        existing = registry.read_run(s3, settings.data_bucket, run_id).body
        if not execution or existing.get("execution") != execution:
            registry.release_lock(s3, settings.data_bucket, run_id)
            raise
        # The same execution again: Step Functions retried this step.
    return {key: value for key, value in event.items() if key not in ("action", "execution")}


def await_approval(event: Mapping[str, Any], settings: Settings, s3: Any) -> dict[str, Any]:
    """Keep the waiting execution's task token for the models command's approve or reject."""
    run_id = run_id_from_event(event)
    token = event.get("task_token")
    if not isinstance(token, str) or not token:
        raise ConfigurationError("await_approval needs the execution's task_token")
    registry.store_approval_token(s3, settings.data_bucket, run_id, token)
    return {"run_id": run_id, "waiting": True}


def release(event: Mapping[str, Any], settings: Settings, s3: Any) -> dict[str, Any]:
    run_id = run_id_from_event(event)
    if event.get("failed"):
        try:
            record = registry.read_run(s3, settings.data_bucket, run_id).body
        except RunNotFoundError:
            record = {}
        if record.get("state") in (registry.RUNNING, registry.CANDIDATE, registry.PENDING_APPROVAL):
            error = event.get("error") or {}
            reason = f"the execution failed: {error.get('Error', 'unknown error')}"
            registry.set_state(s3, settings.data_bucket, run_id, registry.FAILED, reason, PIPELINE)
    released = registry.release_lock(s3, settings.data_bucket, run_id)
    return {"run_id": run_id, "released": released}


def run_id_from_event(event: Mapping[str, Any] | None) -> str:
    event = event or {}
    if "run_id" not in event:
        raise ConfigurationError("the import event needs a run_id (the training step's output)")
    return validate_run_id(event["run_id"])


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any] | None, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point of the registry step."""
    event = event or {}
    settings = Settings.from_env()
    s3 = aws.client("s3")
    action = event.get("action", "evaluate")
    logger.append_keys(run_id=event.get("run_id"), action=action)
    if action == "claim":
        return claim(event, settings, s3)
    if action == "await_approval":
        return await_approval(event, settings, s3)
    if action == "release":
        return release(event, settings, s3)
    if action == "evaluate":
        return evaluate_run(run_id_from_event(event), settings, Clients(s3=s3))
    raise ConfigurationError(f"unknown action {action!r}: claim, evaluate, await_approval, release")
