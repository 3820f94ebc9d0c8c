"""A SageMaker training job of several instances: the hosts share the hyperparameter search
through S3 (pipeline_jobs/hosts.py), and the first trains the one model."""

from __future__ import annotations

import json

import pytest

from pipeline_jobs import export_tables, train_model

HOSTS = ["algo-1", "algo-2"]


@pytest.fixture
def search(job_env):
    """A small search on iris: the logistic regression's seven values of C, two folds each."""
    job_env.setenv("SEARCH_TRIALS", "7")
    job_env.setenv("SEARCH_FOLDS", "2")
    return job_env


def run_as(host, search, tmp_path, run_id, **options):
    """The training process as SageMaker starts it on ``host`` of a two-instance job."""
    config = tmp_path / f"{host}.json"
    config.write_text(json.dumps({"current_host": host, "hosts": HOSTS}))
    search.setenv("RUN_ID", run_id)
    return train_model.main(argv=["train"], resource_config=config, **options)


def without_timing(trials):
    return [{k: v for k, v in trial.items() if k != "fit_seconds"} for trial in trials]


def test_two_hosts_train_the_model_a_single_host_search_would(
    lake, lambda_context, search, tmp_path
):
    single = train_model.handler(
        export_tables.handler({"run_id": "one-host"}, lambda_context), lambda_context
    )
    export_tables.handler({"run_id": "two-hosts"}, lambda_context)

    assert run_as("algo-2", search, tmp_path, "two-hosts") == 0
    assert run_as("algo-1", search, tmp_path, "two-hosts") == 0

    result = lake.read_json("training_results/two-hosts.json")
    trials = json.loads(result["trials"])
    assert [trial["trial"] for trial in trials] == list(range(7))
    assert without_timing(trials) == without_timing(json.loads(single["trials"]))
    # The best score is tied between the hosts' candidates; the first of them, the second
    # host's, wins, as in the single-host search.
    best = [(trial["trial"], trial["parameters"]["C"]) for trial in trials if trial["rank"] == 1]
    assert len(best) > 1 and best[0][0] % 2 == 1
    assert json.loads(result["parameters"])["C"] == best[0][1]
    assert result["parameters"] == single["parameters"]
    assert result["metrics"] == single["metrics"]
    assert lake.keys(lake.data_bucket, "training_jobs/two-hosts/") == [
        "training_jobs/two-hosts/trials/algo-2.json"
    ]


def test_a_host_other_than_the_first_writes_its_trials_and_no_model(
    lake, lambda_context, search, tmp_path
):
    export_tables.handler({"run_id": "shared"}, lambda_context)

    assert run_as("algo-2", search, tmp_path, "shared") == 0

    share = lake.read_json("training_jobs/shared/trials/algo-2.json")
    assert [trial["trial"] for trial in share] == [1, 3, 5]
    assert lake.keys(lake.data_bucket, "models/") == []
    assert lake.keys(lake.data_bucket, "training_results/") == []


def test_the_first_host_names_a_host_whose_trials_never_arrive(
    lake, lambda_context, search, tmp_path, monkeypatch
):
    failure = tmp_path / "output" / "failure"
    failure.parent.mkdir()
    monkeypatch.setattr(train_model, "SAGEMAKER_FAILURE_FILE", failure)
    search.setenv("TRIALS_WAIT_SECONDS", "0.05")
    export_tables.handler({"run_id": "lonely"}, lambda_context)

    assert run_as("algo-1", search, tmp_path, "lonely", poll_seconds=0.01) == 1

    reason = failure.read_text()
    assert reason.startswith("HostsTimeoutError: run lonely: no trials from algo-2")
    assert lake.keys(lake.data_bucket, "models/") == []


def test_a_resource_config_without_this_host_is_refused(search, tmp_path, monkeypatch):
    failure = tmp_path / "output" / "failure"
    failure.parent.mkdir()
    monkeypatch.setattr(train_model, "SAGEMAKER_FAILURE_FILE", failure)
    config = tmp_path / "resourceconfig.json"
    config.write_text(json.dumps({"current_host": "algo-3", "hosts": HOSTS}))
    search.setenv("RUN_ID", "any")

    assert train_model.main(resource_config=config) == 1

    assert "current_host 'algo-3' is not among ['algo-1', 'algo-2']" in failure.read_text()
