"""Settings of the data lake: the buckets' lifecycle rules and the Athena workgroup's limits."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..settings.base import Days, EnvironmentKind, Section


class DataLakeSettings(Section):
    """How long the buckets keep what they hold, and when objects move to cheaper storage."""

    # raw/ objects move to S3 Standard-IA after this many days (S3 needs 30 at least).
    raw_transition_to_infrequent_access_days: int = Field(ge=30, le=3650)
    # logs/ objects expire after this many days.
    logs_expiration_days: Days
    # Old versions of overwritten or deleted objects are kept this long, then expire (the data
    # and access-log buckets; the features bucket has its own).
    noncurrent_version_expiration_days: Days
    features_noncurrent_version_expiration_days: Days
    abort_incomplete_multipart_upload_days: Days
    access_logs_expiration_days: Days
    # Athena cancels a query of the lake's workgroup that would scan more than this many GB
    # (Athena bills $5 per TB scanned, so 10 GB cost at most 5 cents).
    query_scan_limit_gb: int = Field(ge=1, le=100_000)
    # Query results (query_results/) expire after this many days.
    query_results_expiration_days: Days


def defaults(environment: EnvironmentKind) -> dict[str, Any]:
    """The data lake's settings where config/<environment>.yaml sets none."""
    production = environment.production
    return {
        "raw_transition_to_infrequent_access_days": 90,
        "logs_expiration_days": 365 if production else 30,
        "noncurrent_version_expiration_days": 90 if production else 30,
        "features_noncurrent_version_expiration_days": 180 if production else 30,
        "abort_incomplete_multipart_upload_days": 7,
        "access_logs_expiration_days": 365 if production else 30,
        "query_scan_limit_gb": 100 if production else 10,
        "query_results_expiration_days": 30 if production else 7,
    }
