"""Serve a rendered project's model API on loopback, with a model its own pipeline trained.

test_frontend_browser.py runs this with the rendered project's Python:

    python serve_model_api.py <project dir> <package name> <port>

Inside this one process, moto stands in for S3: the pipeline's export, train and import jobs
run on the project's sample data and promote a model, then uvicorn serves the API
(api_service.main:app) on 127.0.0.1:<port>, which loads that model at start-up. SIGTERM or
SIGINT stops it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

DATA_BUCKET = "browser-test-data"
FEATURES_BUCKET = "browser-test-features"


@dataclass(frozen=True)
class LambdaContext:
    """What the jobs' handlers read from Lambda's context object."""

    function_name: str = "browser-test"
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:browser-test"
    aws_request_id: str = "00000000-0000-0000-0000-000000000000"


def main(project_dir: Path, package_name: str, port: int) -> None:
    package_dir = project_dir / package_name
    sys.path[:0] = [str(package_dir / "api" / "runtime"), str(package_dir / "pipeline" / "runtime")]
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "SOURCE_TABLES", "API_CLUSTER_NAME"):
        os.environ.pop(name, None)
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "DATA_BUCKET": DATA_BUCKET,
            "FEATURES_BUCKET": FEATURES_BUCKET,
            "MODEL_BUCKET": DATA_BUCKET,
            # Read when the pipeline jobs are imported: no X-Ray daemon here.
            "POWERTOOLS_TRACE_DISABLED": "1",
        }
    )

    import boto3
    import uvicorn
    from moto import mock_aws

    with mock_aws():
        s3 = boto3.client("s3")
        for bucket in (DATA_BUCKET, FEATURES_BUCKET):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})

        from pipeline_jobs import export_tables, import_model, train_model

        context = LambdaContext()
        exported = export_tables.handler({}, context)
        imported = import_model.handler(train_model.handler(exported, context), context)
        if not imported["promoted"]:
            raise SystemExit(f"the pipeline did not promote its model: {imported}")

        from api_service.main import app

        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]))
