"""How the jobs run: the state machine that runs them as Export -> Wait -> Train -> Import and
the schedule that starts it."""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ..compliance.nag import allow_wildcards
from ..compliance.scanners import skip_checkov
from .grants import acknowledge_inline_policy
from .jobs import LogRetention


def pipeline_state_machine(
    scope: Construct,
    *,
    export: sfn.TaskStateBase,
    wait_seconds: int,
    train: sfn.TaskStateBase,
    import_model: sfn.TaskStateBase,
    timeout_seconds: int,
    retention: LogRetention,
) -> sfn.StateMachine:
    """Export, a wait of ``wait_seconds``, Train and Import in a row; a step that fails after
    its retries fails the run (the monitoring component reports it)."""
    wait = sfn.Wait(
        scope,
        "Wait",
        comment="Time between the export and the training (pipeline.wait_seconds)",
        time=sfn.WaitTime.duration(cdk.Duration.seconds(wait_seconds)),
    )
    return sfn.StateMachine(
        scope,
        "StateMachine",
        comment="Training pipeline: Export -> Wait -> Train -> Import",
        definition_body=sfn.DefinitionBody.from_chainable(
            sfn.Chain.start(export).next(wait).next(train).next(import_model)
        ),
        state_machine_type=sfn.StateMachineType.STANDARD,
        timeout=cdk.Duration.seconds(timeout_seconds),
        tracing_enabled=True,
        logs=sfn.LogOptions(
            destination=retention.new_log_group(scope, "StateMachineLogs"),
            level=sfn.LogLevel.ALL,
            include_execution_data=True,
        ),
    )


def acknowledge_orchestration(
    state_machine: sfn.StateMachine,
    *,
    functions: list[lambda_.IFunction],
    training_cluster: ecs.ICluster | None,
) -> None:
    """The exceptions of the state machine's role: what AWS documents on '*', and the
    invocation of the pipeline's own ``functions`` in any of their versions. With a
    ``training_cluster``, the ECS actions that CDK's RunTask step allows on '*' are held to
    that cluster's tasks by a deny."""
    role = state_machine.role
    ecs_actions = ""
    if training_cluster is not None:
        # CDK's step allows StopTask and DescribeTasks on '*' (it knows no task ARN before the
        # run); the deny leaves them the tasks of the training cluster only.
        role.add_to_principal_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                actions=["ecs:StopTask", "ecs:DescribeTasks"],
                not_resources=[
                    cdk.Stack.of(state_machine).format_arn(
                        service="ecs",
                        resource="task",
                        resource_name=f"{training_cluster.cluster_name}/*",
                    )
                ],
            )
        )
        ecs_actions = (
            "; and ECS's DescribeTasks and StopTask, which CDK's RunTask step allows on '*' "
            "(no task ARN is known before a run) and a deny holds to the training cluster's "
            "tasks"
        )
    reason = (
        "The state machine's log delivery to CloudWatch Logs and its X-Ray tracing, which AWS "
        f"documents on '*'{ecs_actions}."
    )
    cdk.Validations.of(role).acknowledge(
        cdk.Acknowledgment(id="AwsSolutions-IAM5[Resource::*]", reason=reason)
    )
    skip_checkov(role.node.find_child("DefaultPolicy"), "CKV_AWS_111", reason=reason)
    acknowledge_inline_policy(role)
    stack = cdk.Stack.of(state_machine)
    allow_wildcards(
        role,
        patterns=[
            rf"Resource::<{stack.get_logical_id(f.node.default_child)}\.Arn>:\*" for f in functions
        ],
        reason="Invokes the pipeline's own functions, in any of their versions.",
    )


def pipeline_schedule(
    scope: Construct, *, state_machine: sfn.IStateMachine, expression: str
) -> None:
    """Starts the state machine by ``expression`` (an EventBridge Scheduler expression, UTC),
    with a role of its own that may do nothing else."""
    stack = cdk.Stack.of(scope)
    role = iam.Role(
        scope,
        "ScheduleRole",
        # Only EventBridge Scheduler acting for this account's default schedule group, where
        # the schedule lives, may assume it (no confused deputy).
        assumed_by=iam.ServicePrincipal(
            "scheduler.amazonaws.com",
            conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnEquals": {
                    "aws:SourceArn": stack.format_arn(
                        service="scheduler", resource="schedule-group", resource_name="default"
                    )
                },
            },
        ),
        description="The schedule: starts the training pipeline's state machine",
    )
    acknowledge_inline_policy(role)
    scheduler.Schedule(
        scope,
        "Schedule",
        description=f"Starts the training pipeline: {expression} (UTC)",
        schedule=scheduler.ScheduleExpression.expression(expression),
        target=scheduler_targets.StepFunctionsStartExecution(
            state_machine,
            input=scheduler.ScheduleTargetInput.from_object({}),
            role=role,
            # A start that keeps failing is dropped after an hour, not run much later.
            retry_attempts=5,
            max_event_age=cdk.Duration.hours(1),
        ),
    )
