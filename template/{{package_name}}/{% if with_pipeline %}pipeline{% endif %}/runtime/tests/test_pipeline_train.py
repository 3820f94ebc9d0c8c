"""The training step: model, metrics, feature table, drift report, bad data, Fargate mode."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import joblib
import pytest

from pipeline_jobs import export_tables, model_format, train_model
from pipeline_jobs.errors import (
    ConfigurationError,
    MissingTargetError,
    NonNumericFeatureError,
    RunNotFoundError,
    SingleClassError,
    TooFewRowsError,
)

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


def replace_cell(csv_text: str, line: int, column: int, value: str) -> str:
    """The CSV with one cell changed (line 1 is the header)."""
    lines = csv_text.splitlines()
    cells = lines[line - 1].split(",")
    cells[column] = value
    lines[line - 1] = ",".join(cells)
    return "\n".join(lines) + "\n"


def shifted(csv_text: str, column: int, offset: float) -> str:
    """The CSV with a number added to every value of one feature column."""
    lines = csv_text.splitlines()
    for index in range(1, len(lines)):
        cells = lines[index].split(",")
        cells[column] = repr(float(cells[column]) + offset)
        lines[index] = ",".join(cells)
    return "\n".join(lines) + "\n"


def test_trains_a_model_that_predicts_iris(lake, lambda_context):
    export = export_tables.handler({"run_id": "run-1"}, lambda_context)

    result = train_model.handler(export, lambda_context)

    assert result["run_id"] == "run-1"
    assert result["model_key"] == "models/run-1/model.joblib"
    assert result["drift_report_key"] == "drift_reports/run-1.json"
    assert set(result["metrics"]) == {"accuracy", "macro_f1", "roc_auc"}
    assert result["metrics"]["accuracy"] >= 0.9
    assert result["metrics"]["macro_f1"] >= 0.9
    model = joblib.load(io.BytesIO(lake.read(result["model_key"])))
    assert model.predict([[5.1, 3.5, 1.4, 0.2], [6.9, 3.1, 5.4, 2.1]]).tolist() == [
        "setosa",
        "virginica",
    ]
    metadata = model_format.read_metadata(lake.s3, lake.data_bucket, "run-1")
    assert metadata.features == FEATURES
    assert metadata.target == "species"
    assert metadata.classes == ["setosa", "versicolor", "virginica"]
    assert metadata.metrics == result["metrics"]
    assert metadata.training_rows == 120
    assert metadata.extra["test_rows"] == 30
    assert metadata.extra["dataset_date"] == export["dataset_date"]


def test_training_is_reproducible(lake, lambda_context):
    first = train_model.handler(export_tables.handler({}, lambda_context), lambda_context)
    second = train_model.handler(export_tables.handler({}, lambda_context), lambda_context)
    assert first["metrics"] == second["metrics"]


def test_writes_the_feature_table_and_result(lake, lambda_context):
    export = export_tables.handler({"run_id": "run-1"}, lambda_context)
    result = train_model.handler(export, lambda_context)

    features = lake.read("features/iris/latest.csv", lake.features_bucket).decode().splitlines()
    assert features[0] == ",".join([*FEATURES, "species"])
    assert features[1] == "5.1,3.5,1.4,0.2,setosa"
    assert len(features) == 151
    assert lake.read_json("training_results/run-1.json") == result


def test_first_run_has_no_previous_version_to_compare(lake, lambda_context):
    result = train_model.handler(export_tables.handler({}, lambda_context), lambda_context)

    report = lake.read_json(result["drift_report_key"])
    assert result["drift_status"] == report["status"] == "no_previous_version"
    assert report["previous_run_id"] is None
    assert sorted(report["features"]) == sorted(FEATURES)
    petal = report["features"]["petal_length"]
    assert petal["current"]["rows"] == 150
    assert petal["current"]["mean"] == pytest.approx(3.758, abs=1e-3)
    assert petal["previous"] is None
    assert petal["psi"] is None


def test_same_data_again_shows_no_drift_against_the_latest_run(lake, lambda_context):
    for run_id in ("run-1", "run-2", "run-3"):
        export = export_tables.handler({"run_id": run_id}, lambda_context)
        result = train_model.handler(export, lambda_context)

    report = lake.read_json(result["drift_report_key"])
    assert report["status"] == "no_drift"
    assert report["previous_run_id"] == "run-2"
    for name in FEATURES:
        assert report["features"][name]["psi"] == pytest.approx(0.0, abs=1e-9)
        assert report["features"][name]["ks_statistic"] == 0.0
    versions = lake.s3.list_object_versions(
        Bucket=lake.features_bucket, Prefix="features/iris/latest.csv"
    )["Versions"]
    assert len(versions) == 3


def test_shifted_feature_is_reported_as_drift(lake, lambda_context, export_csv, iris_csv):
    train_model.handler(export_csv(iris_csv, run_id="run-1"), lambda_context)
    result = train_model.handler(
        export_csv(shifted(iris_csv, column=2, offset=3.0), run_id="run-2"), lambda_context
    )

    report = lake.read_json(result["drift_report_key"])
    assert result["drift_status"] == "drift_detected"
    assert report["drifted_features"] == ["petal_length"]
    petal = report["features"]["petal_length"]
    assert petal["current"]["mean"] == pytest.approx(petal["previous"]["mean"] + 3.0, abs=1e-6)
    assert petal["psi"] > 1.0
    assert petal["ks_statistic"] > 0.5
    assert report["features"]["sepal_width"]["drifted"] is False


def test_a_changed_mix_of_categories_is_reported_as_drift(
    lake, lambda_context, export_csv, iris_csv
):
    lines = iris_csv.splitlines()
    # A categorical feature: iris of the first run from two gardens, of the second from one.
    first = [f"{lines[0]},garden"] + [
        f"{line},{'north' if index % 2 else 'south'}" for index, line in enumerate(lines[1:])
    ]
    second = [f"{lines[0]},garden"] + [f"{line},north" for line in lines[1:]]
    train_model.handler(export_csv("\n".join(first) + "\n", run_id="run-1"), lambda_context)

    result = train_model.handler(
        export_csv("\n".join(second) + "\n", run_id="run-2"), lambda_context
    )

    report = lake.read_json(result["drift_report_key"])
    assert report["drifted_features"] == ["garden"]
    garden = report["features"]["garden"]
    assert garden["kind"] == "categorical"
    assert garden["tv_distance"] == pytest.approx(0.5, abs=0.01)
    [row] = [
        json.loads(line)
        for line in lake.read("drift_reports/features/run-2.json").decode().splitlines()
        if json.loads(line)["feature"] == "garden"
    ]
    assert (row["kind"], row["drifted"], row["current_mean"]) == ("categorical", True, None)
    assert row["tv_distance"] == garden["tv_distance"]


def test_a_retried_run_compares_with_the_run_before_it(lake, lambda_context):
    train_model.handler(export_tables.handler({"run_id": "run-1"}, lambda_context), lambda_context)
    export = export_tables.handler({"run_id": "run-2"}, lambda_context)
    train_model.handler(export, lambda_context)

    retried = train_model.handler(export, lambda_context)

    assert lake.read_json(retried["drift_report_key"])["previous_run_id"] == "run-1"


@pytest.mark.parametrize(
    ("corrupt", "error", "message"),
    [
        (
            lambda text: text.replace(",species", ",kind"),
            MissingTargetError,
            "target column 'species' is not in the table",
        ),
        (
            lambda text: replace_cell(text, line=17, column=1, value="abc"),
            NonNumericFeatureError,
            "row 16: feature column 'sepal_width' holds 'abc'",
        ),
        (
            lambda text: replace_cell(text, line=9, column=3, value="nan"),
            NonNumericFeatureError,
            "not a finite number",
        ),
        (
            lambda text: replace_cell(text, line=3, column=4, value=""),
            MissingTargetError,
            "row 2: the target column 'species' is empty",
        ),
        (
            lambda text: "\n".join(text.splitlines()[:21]) + "\n",
            TooFewRowsError,
            "has 20 data rows; training needs at least 30",
        ),
        (
            lambda text: "\n".join(text.splitlines()[:51]) + "\n",
            SingleClassError,
            "one class only \\('setosa'\\)",
        ),
        (
            lambda text: "\n".join(text.splitlines()[:101]) + "\n" + text.splitlines()[120],
            TooFewRowsError,
            "'virginica': 1",
        ),
    ],
    ids=[
        "missing-target",
        "text-in-feature",
        "nan-feature",
        "empty-target",
        "too-few-rows",
        "single-class",
        "class-with-one-row",
    ],
)
def test_bad_data_fails_before_anything_is_written(
    lake, lambda_context, export_csv, iris_csv, corrupt, error, message
):
    export = export_csv(corrupt(iris_csv), run_id="bad-run")

    with pytest.raises(error, match=message):
        train_model.handler(export, lambda_context)

    assert lake.keys(lake.data_bucket, "models/") == []
    assert lake.keys(lake.data_bucket, "drift_reports/") == []
    assert lake.keys(lake.data_bucket, "training_results/") == []
    assert lake.keys(lake.features_bucket) == []


def test_min_training_rows_is_configurable(lake, lambda_context, export_csv, iris_csv, job_env):
    few = "\n".join(iris_csv.splitlines()[::10]) + "\n"  # header + 15 rows, all 3 classes
    job_env.setenv("MIN_TRAINING_ROWS", "10")

    result = train_model.handler(export_csv(few), lambda_context)

    metadata = model_format.read_metadata(lake.s3, lake.data_bucket, result["run_id"])
    assert (metadata.training_rows, metadata.extra["test_rows"]) == (12, 3)


def test_target_and_feature_columns_are_configurable(
    lake, lambda_context, export_csv, iris_csv, job_env
):
    job_env.setenv("TARGET_COLUMN", "kind")
    job_env.setenv("FEATURE_COLUMNS", "petal_length, petal_width")

    result = train_model.handler(export_csv(iris_csv.replace(",species", ",kind")), lambda_context)

    metadata = model_format.read_metadata(lake.s3, lake.data_bucket, result["run_id"])
    assert metadata.target == "kind"
    assert metadata.features == ["petal_length", "petal_width"]


def test_unknown_run_raises_run_not_found(lake, lambda_context):
    with pytest.raises(RunNotFoundError, match="no export manifest"):
        train_model.handler({"run_id": "never-exported"}, lambda_context)


def test_event_without_run_id_is_rejected(lake, lambda_context):
    with pytest.raises(ConfigurationError, match="run_id"):
        train_model.handler({}, lambda_context)


def test_dataset_date_must_match_the_manifest(lake, lambda_context):
    export = export_tables.handler({"dataset_date": "2025-01-02"}, lambda_context)
    with pytest.raises(ConfigurationError, match="does not match"):
        train_model.handler({**export, "dataset_date": "2025-01-03"}, lambda_context)


def test_runs_as_a_process_from_environment_variables(lake, lambda_context, job_env):
    export = export_tables.handler({"run_id": "fargate-run"}, lambda_context)
    job_env.setenv("RUN_ID", export["run_id"])
    job_env.setenv("DATASET_DATE", export["dataset_date"])

    assert train_model.main() == 0

    result = lake.read_json("training_results/fargate-run.json")
    assert result["metrics"]["accuracy"] >= 0.9
    assert lake.keys(lake.data_bucket, "models/fargate-run/") == [
        "models/fargate-run/metadata.json",
        "models/fargate-run/model.joblib",
    ]


def test_process_exits_non_zero_on_bad_data(lake, export_csv, iris_csv, job_env):
    export = export_csv(iris_csv.replace(",species", ",kind"))
    job_env.setenv("RUN_ID", export["run_id"])

    assert train_model.main() == 1

    assert lake.keys(lake.data_bucket, "models/") == []


def test_process_needs_a_run_id(lake, job_env):
    assert train_model.main() == 1


def test_module_runs_as_a_process_entry_point(job_env):
    """`python -m pipeline_jobs.train_model` is the Fargate task's command and the SageMaker
    job's entry point, which SageMaker may give the argument `train`: run with it, the process
    shows that its arguments reach `main` (which takes none as well, tested above). One
    process, as each start imports scikit-learn again (seconds)."""
    package_root = Path(train_model.__file__).resolve().parent.parent
    env = {key: value for key, value in os.environ.items() if key != "RUN_ID"}

    completed = subprocess.run(
        [sys.executable, "-m", "pipeline_jobs.train_model", "train"],
        cwd=package_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 1
    [log] = [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]
    assert log["message"] == "training failed"
    assert log["error_type"] == "ConfigurationError"
    assert "RUN_ID is required" in log["error"]


# What SageMaker sets in a training job's container besides the job's own Environment.
SAGEMAKER_ENVIRONMENT = {
    "TRAINING_JOB_NAME": "datathon-dev-0123456789abcdef0123456789abcdef",
    "TRAINING_JOB_ARN": "arn:aws:sagemaker:us-east-1:123456789012:training-job/datathon-dev-0",
    "SM_CURRENT_HOST": "algo-1",
}


def test_runs_as_a_sagemaker_training_job(lake, lambda_context, job_env, tmp_path, monkeypatch):
    """SageMaker may run the module as `... train`, with its own variables: the same run."""
    export = export_tables.handler({"run_id": "sagemaker.run_1"}, lambda_context)
    for name, value in SAGEMAKER_ENVIRONMENT.items():
        job_env.setenv(name, value)
    job_env.setenv("RUN_ID", export["run_id"])
    job_env.setenv("MANIFEST_KEY", export["manifest_key"])
    job_env.setenv("DATASET_DATE", export["dataset_date"])
    failure = tmp_path / "output" / "failure"
    failure.parent.mkdir()
    monkeypatch.setattr(train_model, "SAGEMAKER_FAILURE_FILE", failure)

    assert train_model.main(argv=["train"]) == 0

    assert lake.read_json("training_results/sagemaker.run_1.json")["metrics"]["accuracy"] >= 0.9
    assert not failure.exists()


def test_a_failed_sagemaker_job_reports_its_reason(lake, job_env, tmp_path, monkeypatch):
    failure = tmp_path / "output" / "failure"
    failure.parent.mkdir()
    monkeypatch.setattr(train_model, "SAGEMAKER_FAILURE_FILE", failure)
    job_env.setenv("RUN_ID", "never-exported")

    assert train_model.main(argv=["train"]) == 1

    assert failure.read_text().startswith("RunNotFoundError: run never-exported")


def test_the_process_refuses_other_arguments(job_env):
    assert train_model.main(argv=["serve"]) == 1
