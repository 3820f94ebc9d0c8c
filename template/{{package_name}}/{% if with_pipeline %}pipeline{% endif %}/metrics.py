"""The pipeline's own CloudWatch metric, named once: the registry step publishes it (the
stack hands it these names) and alarms or dashboards read it through ``drift_metric``."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_cloudwatch as cloudwatch

from ..constants import PROJECT_SLUG

METRIC_NAMESPACE = f"{PROJECT_SLUG}/Pipeline"
# 1 when a run's features drifted from the previous run's (PSI above 0.2 on a feature), else 0.
DRIFT_METRIC_NAME = "DriftDetected"
# One series per environment: environments may share an account.
ENVIRONMENT_DIMENSION = "Environment"


def drift_metric(environment: str, period: cdk.Duration | None = None) -> cloudwatch.Metric:
    """The drift metric of one environment: its maximum over ``period`` (a day by default)."""
    return cloudwatch.Metric(
        namespace=METRIC_NAMESPACE,
        metric_name=DRIFT_METRIC_NAME,
        dimensions_map={ENVIRONMENT_DIMENSION: environment},
        statistic="Maximum",
        period=period or cdk.Duration.days(1),
    )
