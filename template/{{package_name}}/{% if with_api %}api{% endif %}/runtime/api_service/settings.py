"""The API's settings, read from the environment variables the CDK stack sets on the task."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseModel):
    """Configuration of one API process.

    Each field is read from the environment variable named by its alias; tests and local
    experiments can also pass the field names directly: ``Settings(model_bucket="my-bucket")``.
    The AWS region is not a setting here: boto3 reads it from AWS_DEFAULT_REGION, which ECS sets.
    """

    model_config = ConfigDict(frozen=True, validate_by_name=True)

    model_bucket: str = Field(
        validation_alias="MODEL_BUCKET",
        min_length=1,
        description="Bucket holding models/latest.json and models/<run_id>/.",
    )
    features_bucket: str | None = Field(
        default=None,
        validation_alias="FEATURES_BUCKET",
        description="Bucket with feature tables, for endpoints that look features up.",
    )
    model_refresh_seconds: int = Field(
        default=300,
        ge=0,
        validation_alias="MODEL_REFRESH_SECONDS",
        description="How often, at most, a request makes the API check for a newly promoted run.",
    )
    log_level: LogLevel = Field(default="INFO", validation_alias="LOG_LEVEL")

    @field_validator("features_bucket", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # An environment variable set to "" means "not configured", as an absent one does.
        return value or None

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_case_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from ``environ`` (the process environment by default).

        Raises pydantic.ValidationError naming the variable, e.g. when MODEL_BUCKET is unset.
        """
        source = os.environ if environ is None else environ
        # Only this app's variables: a validation error shows its input, which must not be
        # the whole environment.
        names = [field.validation_alias for field in cls.model_fields.values()]
        return cls.model_validate(
            {name: source[name] for name in names if isinstance(name, str) and name in source}
        )
