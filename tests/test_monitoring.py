"""Every variant's environments are watched: the alarms of each component it turns on exist
and tell the environment's one topic, with the thresholds of its settings; the budget e-mails
the same addresses."""

from __future__ import annotations

import pytest

from conftest import MATRIX, Rendered
from matrix import SynthReport

VARIANTS = sorted(MATRIX)
WITH_PIPELINE = [name for name in VARIANTS if MATRIX[name].get("with_pipeline", True)]
ALARMS = {
    "with_api": {
        "api-5xx-rate": ("api_5xx_percent", 1),
        "api-latency-p90": ("api_latency_p90_ms", 1 / 1000),
        "api-unhealthy-targets": (None, 1),
        "api-load-balancer-5xx": ("load_balancer_5xx_count", 1),
        "api-tasks-below-minimum": (None, None),
    },
    "with_pipeline": {
        "pipeline-runs-failed": (None, 1),
        "pipeline-runs-timed-out": (None, 1),
        "pipeline-drift-detected": (None, 1),
    },
    "with_frontend": {
        "frontend-unhealthy-targets": (None, 1),
        "frontend-status-check-failed": (None, 1),
        "frontend-load-balancer-5xx": ("load_balancer_5xx_count", 1),
    },
}


@pytest.mark.parametrize("name", VARIANTS)
def test_each_component_has_its_alarms_on_the_one_topic(
    name: str, synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    variant, report = rendered_variants[name], synthesized[name]
    for environment in variant.answers["environments"]:
        stack = report.stack(variant.stage(environment), "Monitoring")
        settings = report.settings[environment]
        monitoring = settings["monitoring"]
        (topic,) = stack.resources("AWS::SNS::Topic")
        alarms = {
            alarm["Properties"]["AlarmName"].removeprefix(f"{variant.stage(environment)}-"): alarm[
                "Properties"
            ]
            for alarm in stack.resources("AWS::CloudWatch::Alarm").values()
        }
        expected = {
            alarm: rule
            for toggle, component_alarms in ALARMS.items()
            if variant.answers[toggle]
            for alarm, rule in component_alarms.items()
        }
        nat_gateways = settings.get("network", {}).get("nat_gateways", 0)
        expected |= {
            f"nat-{n}-port-allocation-errors": (None, 1) for n in range(1, nat_gateways + 1)
        }
        assert set(alarms) == set(expected), environment
        for alarm_name, (key, scale) in expected.items():
            alarm = alarms[alarm_name]
            assert alarm["AlarmActions"] == [{"Ref": topic}], alarm_name
            assert alarm["EvaluationPeriods"] in (1, monitoring["evaluation_periods"])
            if key is not None:
                assert alarm["Threshold"] == monitoring[key] * scale, alarm_name
            elif scale is not None:
                assert alarm["Threshold"] == scale, alarm_name
        if variant.answers["with_api"]:
            minimum = alarms["api-tasks-below-minimum"]["Threshold"]
            assert minimum == settings["api"]["min_capacity"]


@pytest.mark.parametrize("name", VARIANTS)
def test_one_budget_per_environment_tells_the_same_addresses(
    name: str, synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    variant, report = rendered_variants[name], synthesized[name]
    for environment in variant.answers["environments"]:
        stack = report.stack(variant.stage(environment), "Monitoring")
        monitoring = report.settings[environment]["monitoring"]
        assert monitoring["notification_emails"] == [variant.answers["author_email"]]
        (budget,) = stack.resources("AWS::Budgets::Budget").values()
        properties = budget["Properties"]
        assert properties["Budget"]["BudgetLimit"]["Amount"] == monitoring["monthly_budget_usd"]
        assert properties["Budget"]["FilterExpression"]["And"] == [
            {"Tags": {"Key": key, "Values": [value], "MatchOptions": ["EQUALS"]}}
            for key, value in (
                ("project", variant.answers["project_slug"]),
                ("environment", environment),
            )
        ]
        alerts = {
            alert["Notification"]["NotificationType"]: alert
            for alert in properties["NotificationsWithSubscribers"]
        }
        assert set(alerts) == {"ACTUAL", "FORECASTED"}
        for alert in alerts.values():
            assert [s["Address"] for s in alert["Subscribers"]] == monitoring["notification_emails"]
        subscriptions = stack.resources("AWS::SNS::Subscription").values()
        assert [s["Properties"]["Endpoint"] for s in subscriptions] == monitoring[
            "notification_emails"
        ]
        assert len(stack.resources("AWS::CloudWatch::Dashboard")) == 1


@pytest.mark.parametrize("name", WITH_PIPELINE)
def test_the_drift_alarm_reads_the_metric_the_pipeline_publishes(
    name: str, synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    variant, report = rendered_variants[name], synthesized[name]
    for environment in variant.answers["environments"]:
        stage = variant.stage(environment)
        alarm = next(
            alarm["Properties"]
            for alarm in report.stack(stage, "Monitoring")
            .resources("AWS::CloudWatch::Alarm")
            .values()
            if alarm["Properties"]["AlarmName"] == f"{stage}-pipeline-drift-detected"
        )
        published = [
            function["Properties"]["Environment"]["Variables"]
            for function in report.stack(stage, "Pipeline")
            .resources("AWS::Lambda::Function")
            .values()
            if "DRIFT_METRIC_NAME"
            in function["Properties"].get("Environment", {}).get("Variables", {})
        ]
        assert published, "no pipeline function publishes the drift metric"
        for variables in published:
            assert alarm["Namespace"] == variables["METRIC_NAMESPACE"]
            assert alarm["MetricName"] == variables["DRIFT_METRIC_NAME"]
            assert alarm["Dimensions"] == [{"Name": "Environment", "Value": environment}]
            assert variables["ENVIRONMENT"] == environment
