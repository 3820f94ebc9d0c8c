"""Shared fixtures of the pipeline tests: fake AWS (moto), job settings, a Lambda context."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

# Set before the jobs are imported: Powertools reads them when the tracer is created.
os.environ["POWERTOOLS_TRACE_DISABLED"] = "1"
os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "pipeline-tests")

DATA_BUCKET = "test-data-lake"
FEATURES_BUCKET = "test-features"
SOURCE_BUCKET = "team-source-data"
REGION = "us-east-1"

OPTIONAL_SETTINGS = (
    "SOURCE_TABLES",
    "TARGET_COLUMN",
    "FEATURE_COLUMNS",
    "TRAINING_TABLE",
    "MIN_TRAINING_ROWS",
    "PROMOTION_METRIC",
    "PROMOTION_THRESHOLD",
    "PROMOTION_MARGIN",
    "PROMOTION_MODE",
    "DRIFT_BLOCKS_PROMOTION",
    "LOCK_SECONDS",
    "METRIC_NAMESPACE",
    "DRIFT_METRIC_NAME",
    "ENVIRONMENT",
    "API_CLUSTER_NAME",
    "API_SERVICE_NAME",
    "ATHENA_WORKGROUP",
    "ATHENA_DATABASE",
    "RUN_ID",
    "MANIFEST_KEY",
    "DATASET_DATE",
    "TRIALS_WAIT_SECONDS",
    "AWS_LAMBDA_FUNCTION_NAME",
    # A developer's own AWS setup must not send the tests anywhere but moto.
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_ENDPOINT_URL_ECS",
)


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes Powertools' inject_lambda_context reads from a real context."""

    function_name: str = "pipeline-test"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:pipeline-test"
    aws_request_id: str = "11111111-2222-3333-4444-555555555555"
    remaining_millis: int = 300_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_millis


@pytest.fixture(scope="session")
def lambda_context() -> FakeLambdaContext:
    return FakeLambdaContext()


def set_job_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The environment the CDK stack sets, with every optional variable unset."""
    for name in OPTIONAL_SETTINGS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("DATA_BUCKET", DATA_BUCKET)
    monkeypatch.setenv("FEATURES_BUCKET", FEATURES_BUCKET)


@pytest.fixture
def job_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """The environment the CDK stack sets, with every optional variable unset."""
    set_job_env(monkeypatch)
    return monkeypatch


@dataclass(frozen=True)
class Lake:
    """The moto buckets the jobs use, with helpers to look inside them."""

    s3: Any
    data_bucket: str = DATA_BUCKET
    features_bucket: str = FEATURES_BUCKET
    source_bucket: str = SOURCE_BUCKET

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every key under a prefix (the tests' buckets are small: one page is enough)."""
        response = self.s3.list_objects_v2(Bucket=bucket, Prefix=prefix)
        return sorted(item["Key"] for item in response.get("Contents", []))

    def read(self, key: str, bucket: str = DATA_BUCKET) -> bytes:
        body: bytes = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        return body

    def read_json(self, key: str, bucket: str = DATA_BUCKET) -> Any:
        return json.loads(self.read(key, bucket))

    def store_run(self, run_id: str, accuracy: float = 0.9) -> None:
        """A trained run as the training step leaves it: a dummy model of one feature `x` and
        its metadata, written once, not promoted."""
        # Imported here: the jobs read Powertools' variables, set above, when imported.
        from sklearn.dummy import DummyClassifier

        from pipeline_jobs import model_format

        model = DummyClassifier().fit([[0.0], [1.0]], ["a", "b"])
        metadata = model_format.ModelMetadata(
            run_id=run_id,
            trained_at=model_format.utc_now(),
            algorithm="dummy",
            target="label",
            features=["x"],
            classes=["a", "b"],
            metrics={"accuracy": accuracy, "macro_f1": accuracy},
            training_rows=2,
        )
        model_format.write_model(self.s3, self.data_bucket, model, metadata)


def empty_lake(empty_aws: Callable[[], None]) -> Lake:
    """An empty fake account (moto) with the data bucket, the versioned features bucket and a
    team's bucket."""
    empty_aws()
    client = boto3.client("s3", region_name=REGION)
    for bucket in (DATA_BUCKET, FEATURES_BUCKET, SOURCE_BUCKET):
        client.create_bucket(Bucket=bucket)
    for bucket in (DATA_BUCKET, FEATURES_BUCKET):
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    return Lake(s3=client)


@pytest.fixture
def lake(job_env: pytest.MonkeyPatch, aws: Callable[[], None]) -> Lake:
    """An empty fake account with the data bucket, the versioned features bucket and a team's
    bucket."""
    return empty_lake(aws)


@pytest.fixture(scope="module")
def module_lake(aws: Callable[[], None]) -> Iterator[tuple[Lake, pytest.MonkeyPatch]]:
    """The same lake and job environment, shared by the tests of one module that only read
    what its setup wrote."""
    with pytest.MonkeyPatch.context() as environment:
        set_job_env(environment)
        yield empty_lake(aws), environment


@pytest.fixture(scope="session")
def iris_csv() -> str:
    """The iris sample shipped in the image, as text."""
    from pipeline_jobs.export_tables import SAMPLE_DATA

    return (SAMPLE_DATA / "iris.csv").read_text()


@pytest.fixture
def export_csv(
    lake: Lake, job_env: pytest.MonkeyPatch, lambda_context: FakeLambdaContext
) -> Callable[..., dict[str, Any]]:
    """Run the export step on CSV text stored in a team's bucket; return its output."""
    from pipeline_jobs import export_tables

    def export(text: str, run_id: str | None = None, table: str = "iris") -> dict[str, Any]:
        key = f"exports/{table}.csv"
        lake.s3.put_object(Bucket=SOURCE_BUCKET, Key=key, Body=text.encode())
        source = [{"name": table, "uri": f"s3://{SOURCE_BUCKET}/{key}"}]
        job_env.setenv("SOURCE_TABLES", json.dumps(source))
        return export_tables.handler({"run_id": run_id} if run_id else {}, lambda_context)

    return export
