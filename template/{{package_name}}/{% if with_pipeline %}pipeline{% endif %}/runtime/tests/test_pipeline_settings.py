"""Settings: defaults, parsing of SOURCE_TABLES and clear errors for bad values."""

from __future__ import annotations

import pytest

from pipeline_jobs.errors import ConfigurationError
from pipeline_jobs.settings import Settings, SourceTable

BASE = {"DATA_BUCKET": "data", "FEATURES_BUCKET": "features"}


def test_defaults():
    settings = Settings.from_env(BASE)
    assert settings.source_tables == (SourceTable("iris", "sample://iris"),)
    assert settings.target_column == "species"
    assert settings.feature_columns is None
    assert settings.promotion_metric == "accuracy"
    assert settings.promotion_threshold == 0.8
    assert settings.min_training_rows == 30
    assert settings.api_cluster_name is settings.api_service_name is None


def test_empty_strings_count_as_unset():
    settings = Settings.from_env({**BASE, "API_CLUSTER_NAME": "", "PROMOTION_METRIC": " "})
    assert settings.api_cluster_name is None
    assert settings.promotion_metric == "accuracy"


def test_reads_every_variable():
    settings = Settings.from_env(
        {
            **BASE,
            "SOURCE_TABLES": '[{"name": "sales", "uri": "s3://team-bucket/exports/sales.csv"}]',
            "TARGET_COLUMN": "churned",
            "FEATURE_COLUMNS": "age, visits",
            "TRAINING_TABLE": "sales",
            "MIN_TRAINING_ROWS": "100",
            "PROMOTION_METRIC": "macro_f1",
            "PROMOTION_THRESHOLD": "0.75",
            "API_CLUSTER_NAME": "cluster",
            "API_SERVICE_NAME": "service",
        }
    )
    assert settings.source_tables == (SourceTable("sales", "s3://team-bucket/exports/sales.csv"),)
    assert settings.feature_columns == ("age", "visits")
    assert (settings.training_table, settings.min_training_rows) == ("sales", 100)
    assert (settings.promotion_metric, settings.promotion_threshold) == ("macro_f1", 0.75)
    assert (settings.api_cluster_name, settings.api_service_name) == ("cluster", "service")


def test_a_source_table_may_be_a_query():
    settings = Settings.from_env(
        {
            **BASE,
            "SOURCE_TABLES": '[{"name": "orders", "query": "SELECT * FROM sales.orders"}]',
            "ATHENA_WORKGROUP": "team-dev",
            "ATHENA_DATABASE": "team_dev",
        }
    )
    assert settings.source_tables == (
        SourceTable(name="orders", query="SELECT * FROM sales.orders"),
    )
    assert (settings.athena_workgroup, settings.athena_database) == ("team-dev", "team_dev")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DATA_BUCKET": ""}, "DATA_BUCKET is required"),
        ({"FEATURES_BUCKET": ""}, "FEATURES_BUCKET is required"),
        ({"SOURCE_TABLES": "not json"}, "not valid JSON"),
        ({"SOURCE_TABLES": "[]"}, "non-empty JSON list"),
        ({"SOURCE_TABLES": '[{"name": "x"}]'}, "each SOURCE_TABLES entry"),
        ({"SOURCE_TABLES": '[{"name": "a/b", "uri": "sample://iris"}]'}, "table name"),
        ({"SOURCE_TABLES": '[{"name": "x", "uri": "https://example.com/x.csv"}]'}, "must be"),
        ({"SOURCE_TABLES": '[{"name": "x", "uri": "sample://../settings"}]'}, "must be"),
        (
            {"SOURCE_TABLES": '[{"name": "x", "uri": "sample://iris", "query": "SELECT 1"}]'},
            "a uri or a query, not both",
        ),
        (
            {
                "SOURCE_TABLES": '[{"name": "x", "uri": "sample://iris"},'
                ' {"name": "x", "uri": "sample://iris"}]'
            },
            "unique",
        ),
        ({"PROMOTION_THRESHOLD": "high"}, "PROMOTION_THRESHOLD must be a finite number"),
        ({"PROMOTION_THRESHOLD": "nan"}, "PROMOTION_THRESHOLD must be a finite number"),
        ({"MIN_TRAINING_ROWS": "1.5"}, "MIN_TRAINING_ROWS must be an integer"),
        ({"API_CLUSTER_NAME": "cluster"}, "both API_CLUSTER_NAME and API_SERVICE_NAME"),
    ],
)
def test_bad_values_are_configuration_errors(overrides, message):
    with pytest.raises(ConfigurationError, match=message):
        Settings.from_env({**BASE, **overrides})
