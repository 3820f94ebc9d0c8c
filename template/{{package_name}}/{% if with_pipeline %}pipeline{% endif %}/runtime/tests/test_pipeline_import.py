"""The import step: promotion by threshold, the serving pointer and the API roll."""

from __future__ import annotations

import json

import boto3
import pytest

from pipeline_jobs import import_model, model_format
from pipeline_jobs.errors import ConfigurationError, RunNotFoundError

CLUSTER = "datathon-api"
SERVICE = "api"


def report_drift(lake, run_id: str) -> None:
    """The drift report training leaves for a run whose feature `x` drifted."""
    lake.s3.put_object(
        Bucket=lake.data_bucket,
        Key=f"drift_reports/{run_id}.json",
        Body=b'{"status": "drift_detected", "drifted_features": ["x"]}',
    )


@pytest.fixture
def api_service(lake):
    """A moto ECS service standing in for the prediction API; returns its deployment id."""
    ecs = boto3.client("ecs")
    ecs.create_cluster(clusterName=CLUSTER)
    ecs.register_task_definition(
        family="api",
        containerDefinitions=[{"name": "api", "image": "api:latest", "memory": 512}],
    )
    ecs.create_service(cluster=CLUSTER, serviceName=SERVICE, taskDefinition="api", desiredCount=1)

    def deployment_id() -> str:
        [service] = ecs.describe_services(cluster=CLUSTER, services=[SERVICE])["services"]
        return next(d["id"] for d in service["deployments"] if d["status"] == "PRIMARY")

    return deployment_id


def test_promotes_a_run_that_passes_the_threshold(lake, lambda_context):
    lake.store_run("run-1", accuracy=0.93)

    output = import_model.handler(
        {"run_id": "run-1", "metrics": {"accuracy": 0.93}}, lambda_context
    )

    assert output["promoted"] is True
    assert output["run_id"] == "run-1"
    assert (output["metric"], output["value"], output["threshold"]) == ("accuracy", 0.93, 0.8)
    assert output["previous_run_id"] is None
    assert output["api_rollout"] is None
    pointer = model_format.read_pointer(lake.s3, lake.data_bucket)
    assert pointer is not None
    assert pointer.run_id == "run-1"
    assert output["promoted_at"] == pointer.promoted_at


def test_threshold_is_inclusive(lake, lambda_context):
    lake.store_run("run-1", accuracy=0.8)
    assert import_model.handler({"run_id": "run-1"}, lambda_context)["promoted"] is True


def test_run_below_the_threshold_leaves_the_pointer_unchanged(lake, lambda_context):
    lake.store_run("good-run", accuracy=0.95)
    import_model.handler({"run_id": "good-run"}, lambda_context)
    pointer_before = lake.read(model_format.POINTER_KEY)
    lake.store_run("weak-run", accuracy=0.5)

    output = import_model.handler({"run_id": "weak-run"}, lambda_context)

    assert output["promoted"] is False
    assert output["reason"] == "accuracy 0.5 is below the promotion threshold 0.8"
    assert output["previous_run_id"] == "good-run"
    assert lake.read(model_format.POINTER_KEY) == pointer_before


def test_nothing_is_promoted_when_the_first_run_is_below_the_threshold(lake, lambda_context):
    lake.store_run("weak-run", accuracy=0.5)

    assert import_model.handler({"run_id": "weak-run"}, lambda_context)["promoted"] is False

    assert model_format.read_pointer(lake.s3, lake.data_bucket) is None


def test_metric_and_threshold_are_configurable(lake, lambda_context, job_env):
    job_env.setenv("PROMOTION_METRIC", "macro_f1")
    job_env.setenv("PROMOTION_THRESHOLD", "0.97")
    lake.store_run("run-1", accuracy=0.96)

    output = import_model.handler({"run_id": "run-1"}, lambda_context)

    assert (output["promoted"], output["metric"], output["threshold"]) == (False, "macro_f1", 0.97)


def test_rolls_the_api_when_configured(lake, lambda_context, job_env, api_service):
    job_env.setenv("API_CLUSTER_NAME", CLUSTER)
    job_env.setenv("API_SERVICE_NAME", SERVICE)
    deployment_before = api_service()
    lake.store_run("run-1", accuracy=0.9)

    output = import_model.handler({"run_id": "run-1"}, lambda_context)

    assert output["promoted"] is True
    assert api_service() != deployment_before
    assert output["api_rollout"] == {
        "cluster": CLUSTER,
        "service": SERVICE,
        "deployment_id": api_service(),
    }


def test_does_not_roll_the_api_when_not_configured(lake, lambda_context, api_service):
    deployment_before = api_service()
    lake.store_run("run-1", accuracy=0.9)

    output = import_model.handler({"run_id": "run-1"}, lambda_context)

    assert output["promoted"] is True
    assert output["api_rollout"] is None
    assert api_service() == deployment_before


def test_does_not_roll_the_api_when_not_promoted(lake, lambda_context, job_env, api_service):
    job_env.setenv("API_CLUSTER_NAME", CLUSTER)
    job_env.setenv("API_SERVICE_NAME", SERVICE)
    deployment_before = api_service()
    lake.store_run("weak-run", accuracy=0.1)

    assert import_model.handler({"run_id": "weak-run"}, lambda_context)["promoted"] is False

    assert api_service() == deployment_before


def test_unknown_run_raises_run_not_found(lake, lambda_context):
    with pytest.raises(RunNotFoundError, match="no model"):
        import_model.handler({"run_id": "never-trained"}, lambda_context)
    assert model_format.read_pointer(lake.s3, lake.data_bucket) is None


def test_unknown_metric_is_a_configuration_error(lake, lambda_context, job_env):
    job_env.setenv("PROMOTION_METRIC", "recall")
    lake.store_run("run-1", accuracy=0.9)
    with pytest.raises(ConfigurationError, match="'recall' is not among"):
        import_model.handler({"run_id": "run-1"}, lambda_context)


def test_event_without_run_id_is_rejected(lake, lambda_context):
    with pytest.raises(ConfigurationError, match="run_id"):
        import_model.handler({"promoted": True}, lambda_context)


def test_drift_becomes_a_metric_in_the_log(lake, lambda_context, job_env, capsys):
    job_env.setenv("METRIC_NAMESPACE", "team/Pipeline")
    job_env.setenv("ENVIRONMENT", "dev")
    lake.store_run("run-1", accuracy=0.9)
    report_drift(lake, "run-1")

    output = import_model.handler({"run_id": "run-1"}, lambda_context)

    [line] = [line for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    emf = json.loads(line)
    [metrics] = emf["_aws"]["CloudWatchMetrics"]
    assert (metrics["Namespace"], metrics["Dimensions"]) == ("team/Pipeline", [["Environment"]])
    assert (emf["Environment"], emf["DriftDetected"]) == ("dev", 1)
    # The state machine notifies the topic from the decision's fields.
    assert (output["drift_status"], output["drifted_features"]) == ("drift_detected", ["x"])


def test_drift_blocks_a_promotion_when_the_config_says(lake, lambda_context, job_env):
    job_env.setenv("DRIFT_BLOCKS_PROMOTION", "true")
    lake.store_run("run-1", accuracy=0.9)
    report_drift(lake, "run-1")

    output = import_model.handler({"run_id": "run-1"}, lambda_context)

    assert output["promoted"] is False
    assert output["reason"] == "its features drifted and pipeline.drift_blocks_promotion is on"
