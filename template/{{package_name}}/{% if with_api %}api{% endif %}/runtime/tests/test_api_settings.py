"""Settings come from the environment variables the CDK stack sets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api_service.settings import Settings


def test_defaults_apply_when_only_the_model_bucket_is_set() -> None:
    settings = Settings.from_env({"MODEL_BUCKET": "models"})

    assert settings == Settings(
        model_bucket="models", features_bucket=None, model_refresh_seconds=300, log_level="INFO"
    )


def test_every_variable_is_read() -> None:
    settings = Settings.from_env(
        {
            "MODEL_BUCKET": "models",
            "FEATURES_BUCKET": "features",
            "MODEL_REFRESH_SECONDS": "30",
            "LOG_LEVEL": "debug",
        }
    )

    assert settings.features_bucket == "features"
    assert settings.model_refresh_seconds == 30
    assert settings.log_level == "DEBUG"


def test_an_empty_features_bucket_means_none() -> None:
    assert Settings.from_env({"MODEL_BUCKET": "m", "FEATURES_BUCKET": ""}).features_bucket is None


def test_a_missing_model_bucket_is_an_error_naming_the_variable() -> None:
    with pytest.raises(ValidationError, match="MODEL_BUCKET"):
        Settings.from_env({"LOG_LEVEL": "INFO"})


def test_an_error_does_not_show_other_environment_variables() -> None:
    with pytest.raises(ValidationError) as error:
        Settings.from_env({"DB_PASSWORD": "hunter2"})

    assert "hunter2" not in str(error.value)


@pytest.mark.parametrize(
    ("name", "value"),
    [("MODEL_REFRESH_SECONDS", "-1"), ("MODEL_REFRESH_SECONDS", "soon"), ("LOG_LEVEL", "LOUD")],
)
def test_a_bad_value_is_an_error_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings.from_env({"MODEL_BUCKET": "models", name: value})
