"""Run identifiers and dataset dates: how one pipeline execution names what it writes."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, date, datetime

from pipeline_jobs.errors import ConfigurationError

# Run ids become parts of S3 keys and appear in the API's model metadata.
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


def new_run_id(now: datetime | None = None) -> str:
    """A sortable, unique run id: UTC timestamp plus a short random suffix.

    For example ``20250301T120000Z-3f9a1c``; ids of later runs sort after earlier ones.
    """
    moment = now or datetime.now(UTC)
    return f"{moment.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def validate_run_id(run_id: object) -> str:
    if not isinstance(run_id, str) or not _RUN_ID.match(run_id):
        raise ConfigurationError(
            f"run_id must be 1-128 letters, digits, '.', '_' or '-', got {run_id!r}"
        )
    return run_id


def today_utc() -> str:
    return datetime.now(UTC).date().isoformat()


def validate_dataset_date(value: object) -> str:
    """Check a YYYY-MM-DD date string and return it unchanged."""
    try:
        # fromisoformat also accepts forms like 20250301; the length check keeps YYYY-MM-DD.
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise ConfigurationError(f"dataset_date must be a YYYY-MM-DD date, got {value!r}")
