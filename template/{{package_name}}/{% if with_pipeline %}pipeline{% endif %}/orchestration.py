"""How the jobs run: the state machine that runs them as Claim -> Export -> Wait -> Train ->
Import (-> AwaitApproval) -> Release, one execution at a time; and the schedule that starts
it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_scheduler as scheduler
from aws_cdk import aws_scheduler_targets as scheduler_targets
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from ..compliance.nag import allow_wildcards
from .grants import acknowledge_inline_policy
from .jobs import XRAY_WRITE_ACTIONS, LogRetention, invoke_step

# What Step Functions needs to deliver a state machine's logs to CloudWatch Logs: AWS
# documents these actions on '*' (vended log delivery).
STATE_MACHINE_LOG_DELIVERY_ACTIONS = [
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
]


@dataclass(frozen=True, kw_only=True)
class RegistrySteps:
    """The registry step's function and how long a run may wait for approval (None: auto)."""

    function: lambda_.IFunction
    approval_timeout: cdk.Duration | None


def name_run(scope: Construct) -> sfn.Pass:
    """The run's id is the execution's name unless the input gives one; the input's other
    fields (dataset_date, trigger) go along."""
    return sfn.Pass(
        scope,
        "NameRun",
        parameters={
            "run": sfn.JsonPath.json_merge(
                sfn.JsonPath.string_to_json(
                    sfn.JsonPath.format(
                        '\\{"run_id": "{}", "execution": "{}", "action": "claim"\\}',
                        sfn.JsonPath.execution_name,
                        sfn.JsonPath.execution_id,
                    )
                ),
                sfn.JsonPath.object_at("$"),
            )
        },
        output_path="$.run",
    )


def registry_step(
    scope: Construct, construct_id: str, function: lambda_.IFunction, action: str, **fields: Any
) -> tasks.LambdaInvoke:
    """A call of the registry step (runtime/pipeline_jobs/import_model.py) for ``action``;
    its result is dropped, so the run's output stays the decision."""
    return invoke_step(
        scope,
        construct_id,
        function,
        keep_input=True,
        payload=sfn.TaskInput.from_object(
            {"action": action, "run_id": sfn.JsonPath.string_at("$.run_id"), **fields}
        ),
    )


def pipeline_state_machine(
    scope: Construct,
    *,
    claim: sfn.TaskStateBase,
    export: sfn.TaskStateBase,
    wait_seconds: int,
    train: sfn.TaskStateBase | sfn.CustomState,
    import_model: sfn.TaskStateBase,
    registry: RegistrySteps,
    timeout_seconds: int,
    retention: LogRetention,
) -> sfn.StateMachine:
    """NameRun, Claim, Export, a wait of ``wait_seconds``, Train, Import (the decision), in
    manual promotion AwaitApproval, and Release. A start refused by Claim because another
    run holds the pipeline fails as Refused, or, when the schedule started it, ends as
    Skipped. Any other failure releases the pipeline and fails the run (the monitoring
    component reports it)."""
    wait = sfn.Wait(
        scope,
        "Wait",
        comment="Time between the export and the training (pipeline.wait_seconds)",
        time=sfn.WaitTime.duration(cdk.Duration.seconds(wait_seconds)),
    )
    # A failed run gives the pipeline back, then fails (the monitoring component reports it).
    on_failure = registry_step(
        scope,
        "ReleaseAfterFailure",
        registry.function,
        "release",
        failed=True,
        error=sfn.JsonPath.object_at("$.error"),
    ).next(sfn.Fail(scope, "Failed", error_path="$.error.Error", cause_path="$.error.Cause"))
    another_run = sfn.Choice(scope, "StartedBySchedule")
    another_run.when(
        sfn.Condition.and_(
            sfn.Condition.is_present("$.trigger"),
            sfn.Condition.string_equals("$.trigger", "schedule"),
        ),
        sfn.Succeed(scope, "Skipped", comment="Another run holds the pipeline: the schedule skips"),
    )
    another_run.otherwise(
        sfn.Fail(scope, "Refused", error_path="$.error.Error", cause_path="$.error.Cause")
    )
    claim.add_catch(another_run, errors=["RunInProgressError"], result_path="$.error")
    release = registry_step(scope, "Release", registry.function, "release")
    steps: list[sfn.TaskStateBase | sfn.CustomState] = [claim, export, train, import_model]
    decided: sfn.IChainable = release
    if registry.approval_timeout is not None:
        await_approval = tasks.LambdaInvoke(
            scope,
            "AwaitApproval",
            lambda_function=registry.function,
            comment="Waits for the models command's approve or reject of the run",
            integration_pattern=sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
            payload=sfn.TaskInput.from_object(
                {
                    "action": "await_approval",
                    "run_id": sfn.JsonPath.string_at("$.run_id"),
                    "task_token": sfn.JsonPath.task_token,
                }
            ),
            task_timeout=sfn.Timeout.duration(registry.approval_timeout),
            result_path="$.approval",
        )
        steps.append(await_approval)
        decided = (
            sfn.Choice(scope, "NeedsApproval")
            .when(
                sfn.Condition.boolean_equals("$.needs_approval", True),
                await_approval.next(release),
            )
            .otherwise(release)
        )
    for step in [*steps, release]:
        step.add_catch(on_failure, errors=[sfn.Errors.ALL], result_path="$.error")
    definition = (
        sfn.Chain.start(name_run(scope))
        .next(claim)
        .next(export)
        .next(wait)
        .next(train)
        .next(import_model)
        .next(decided)
    )
    return sfn.StateMachine(
        scope,
        "StateMachine",
        comment="Training pipeline: Claim -> Export -> Wait -> Train -> Import -> Release",
        definition_body=sfn.DefinitionBody.from_chainable(definition),
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
    allow_wildcards(
        role,
        patterns=[r"Resource::\*"],
        actions=[
            *STATE_MACHINE_LOG_DELIVERY_ACTIONS,
            *XRAY_WRITE_ACTIONS,
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
            *(["ecs:DescribeTasks", "ecs:StopTask"] if training_cluster is not None else []),
        ],
        reason=reason,
        checkov_checks=["CKV_AWS_111"],
    )
    acknowledge_inline_policy(role)
    stack = cdk.Stack.of(state_machine)
    allow_wildcards(
        role,
        patterns=[
            rf"Resource::<{stack.get_logical_id(f.node.default_child)}\.Arn>:\*" for f in functions
        ],
        actions=["lambda:InvokeFunction"],
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
            # Claim skips a scheduled start while another run holds the pipeline.
            input=scheduler.ScheduleTargetInput.from_object({"trigger": "schedule"}),
            role=role,
            # A start that keeps failing is dropped after an hour, not run much later.
            retry_attempts=5,
            max_event_age=cdk.Duration.hours(1),
        ),
    )
