"""The models command: the registry of runs of one environment, and what a team decides.

    python -m <package>.pipeline.models --environment dev list            # ranked by metric
    python -m <package>.pipeline.models --environment dev show RUN_ID
    python -m <package>.pipeline.models --environment prod approve RUN_ID  # a waiting run
    python -m <package>.pipeline.models --environment prod reject RUN_ID
    python -m <package>.pipeline.models --environment dev promote RUN_ID   # any trained run
    python -m <package>.pipeline.models --environment dev rollback         # previous champion
    python -m <package>.pipeline.models --environment dev score raw/jury/test.csv [--run RUN_ID]

It finds the environment's bucket, API service and functions in the outputs of its Pipeline
stack, with the caller's AWS credentials. approve, promote and rollback move the serving
pointer and roll the API onto the model; approve and reject also let the waiting execution go
on. Each says what it did; a refusal exits with status 1 and says why.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..constants import stage_name

# The registry code the pipeline's jobs run, from the root of their image.
sys.path.insert(0, str(Path(__file__).resolve().parent / "runtime"))
from pipeline_jobs import model_format, registry
from pipeline_jobs.errors import PipelineError


@dataclass(frozen=True, kw_only=True)
class Targets:
    """Where one environment's pipeline lives: its Pipeline stack's outputs."""

    data_bucket: str
    score_function: str | None = None
    api_cluster: str | None = None
    api_service: str | None = None

    @classmethod
    def from_stack(cls, cloudformation: Any, environment: str) -> Targets:
        stack = f"{stage_name(environment)}-Pipeline"
        [description] = cloudformation.describe_stacks(StackName=stack)["Stacks"]
        outputs = {o["OutputKey"]: o["OutputValue"] for o in description.get("Outputs", [])}
        return cls(
            data_bucket=outputs["DataBucketName"],
            score_function=outputs.get("ScoreFunctionName"),
            api_cluster=outputs.get("ApiClusterName"),
            api_service=outputs.get("ApiServiceName"),
        )


@dataclass(frozen=True, kw_only=True)
class Clients:
    """AWS clients, made when first needed (tests pass their own)."""

    make: Callable[[str], Any]
    _made: dict[str, Any] = field(default_factory=dict)

    def __call__(self, service: str) -> Any:
        if service not in self._made:
            self._made[service] = self.make(service)
        return self._made[service]


class Refused(Exception):
    """The command cannot do what was asked; the message says why."""


def table(records: list[dict[str, Any]]) -> str:
    """The runs, best first, as a fixed-width table; the champion is starred."""
    rows = [["", "rank", "run", "state", "metric", "value", "data", "drift"]]
    for rank, record in enumerate(model_format.ranked(records), start=1):
        value = record.get("value")
        rows.append(
            [
                "*" if record.get("state") == registry.CHAMPION else "",
                str(rank),
                record["run_id"],
                record.get("state", ""),
                record.get("metric") or "-",
                f"{value:.4f}" if isinstance(value, int | float) else "-",
                record.get("dataset_date") or "-",
                record.get("drift_status") or "-",
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def roll_api(targets: Targets, clients: Clients) -> str:
    if not (targets.api_cluster and targets.api_service):
        return "no API in this environment to roll"
    response = clients("ecs").update_service(
        cluster=targets.api_cluster, service=targets.api_service, forceNewDeployment=True
    )
    deployments = response["service"].get("deployments", [])
    primary = next((d["id"] for d in deployments if d.get("status") == "PRIMARY"), "?")
    return f"the API is rolling onto it (deployment {primary})"


def _value(record: dict[str, Any]) -> str:
    return f"{record.get('metric')} {record.get('value')}" if record.get("metric") else "no metric"


def _continue_execution(
    targets: Targets, clients: Clients, run_id: str, approved: bool, by: str
) -> str:
    token = registry.pop_approval_token(clients("s3"), targets.data_bucket, run_id)
    if token is None:
        return "no execution was waiting for it"
    try:
        clients("stepfunctions").send_task_success(
            taskToken=token, output=json.dumps({"approved": approved, "by": by})
        )
    except Exception as error:
        code = getattr(error, "response", {}).get("Error", {}).get("Code")
        if code not in ("TaskTimedOut", "TaskDoesNotExist", "InvalidToken"):
            raise
        return f"its execution had stopped waiting ({code})"
    return "its execution goes on"


def promote(targets: Targets, clients: Clients, run_id: str, *, by: str, reason: str) -> str:
    s3, bucket = clients("s3"), targets.data_bucket
    record = registry.read_run(s3, bucket, run_id).body
    if record.get("state") in (registry.RUNNING, registry.FAILED):
        raise Refused(f"run {run_id} is {record['state']}: it has no model to promote")
    registry.promote_run(s3, bucket, run_id, by=by, reason=reason)
    return f"run {run_id} ({_value(record)}) is the champion now; {roll_api(targets, clients)}"


def run(args: argparse.Namespace, targets: Targets, clients: Clients) -> str:
    """Do what the command line asks; return what to print."""
    s3, bucket = clients("s3"), targets.data_bucket
    if args.command == "list":
        records = model_format.read_runs(s3, bucket)
        return table(records) if records else "no runs in the registry yet"
    if args.command == "show":
        record = registry.read_run(s3, bucket, args.run_id).body
        return json.dumps(record, indent=2, sort_keys=True)
    if args.command == "promote":
        return "Promoted: " + promote(
            targets, clients, args.run_id, by="promote", reason="promoted by hand"
        )
    if args.command in ("approve", "reject"):
        record = registry.read_run(s3, bucket, args.run_id).body
        if record.get("state") != registry.PENDING_APPROVAL:
            raise Refused(f"run {args.run_id} is {record.get('state')}, not waiting for approval")
        if args.command == "approve":
            done = promote(targets, clients, args.run_id, by="approve", reason="approved")
            go_on = _continue_execution(targets, clients, args.run_id, True, "approve")
            return f"Approved: {done}; {go_on}"
        registry.set_state(s3, bucket, args.run_id, registry.REJECTED, args.reason, "reject")
        go_on = _continue_execution(targets, clients, args.run_id, False, "reject")
        return f"Rejected: run {args.run_id} ({_value(record)}) stays unserved; {go_on}"
    if args.command == "rollback":
        pointer = model_format.read_pointer(s3, bucket)
        if pointer is None or not pointer.previous_run_ids:
            raise Refused("there is no previous champion to roll back to")
        previous = pointer.previous_run_ids[-1]
        registry.promote_run(
            s3,
            bucket,
            previous,
            by="rollback",
            reason=f"rolled back from {pointer.run_id}",
            rollback=True,
        )
        record = registry.read_run(s3, bucket, previous).body
        return (
            f"Rolled back: run {previous} ({_value(record)}) is the champion again, in place of "
            f"{pointer.run_id}; {roll_api(targets, clients)}"
        )
    if args.command == "score":
        if not targets.score_function:
            raise Refused("this environment has no batch scoring function")
        event = {"input_key": args.input_key, "run_id": args.run}
        response = clients("lambda").invoke(
            FunctionName=targets.score_function, Payload=json.dumps(event).encode()
        )
        answer = json.loads(response["Payload"].read())
        if response.get("FunctionError"):
            raise Refused(
                f"scoring failed: {answer.get('errorType')}: {answer.get('errorMessage')}"
            )
        return (
            f"Scored {answer['rows']} rows of {answer['input_key']} with run {answer['run_id']}: "
            f"s3://{bucket}/{answer['output_key']} (manifest {answer['manifest_key']})"
        )
    raise Refused(f"unknown command {args.command}")


def parser() -> argparse.ArgumentParser:
    commands = argparse.ArgumentParser(
        prog=f"python -m {__package__}.models",
        description="The registry of runs of one environment: list, show, approve, reject, "
        "promote, roll back, score.",
    )
    commands.add_argument("--environment", "-e", required=True, help="e.g. dev or prod")
    sub = commands.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the runs, best first by the promotion metric")
    for name, what in (
        ("show", "one run's record"),
        ("approve", "promote a run waiting for approval"),
        ("reject", "reject a run waiting for approval"),
        ("promote", "make a trained run the champion"),
    ):
        command = sub.add_parser(name, help=what)
        command.add_argument("run_id")
        if name == "reject":
            command.add_argument("--reason", default="rejected by hand")
    sub.add_parser("rollback", help="make the previous champion the champion again")
    score = sub.add_parser("score", help="score a CSV file of the data bucket (raw/ or processed/)")
    score.add_argument("input_key", help="e.g. raw/jury/test.csv")
    score.add_argument("--run", help="the run whose model scores (default: the champion)")
    return commands


def main(
    argv: list[str] | None = None,
    *,
    targets: Targets | None = None,
    clients: Clients | None = None,
) -> int:
    args = parser().parse_args(argv)
    if clients is None:
        import boto3

        clients = Clients(make=boto3.client)
    try:
        resolved = targets or Targets.from_stack(clients("cloudformation"), args.environment)
        print(run(args, resolved, clients))
    except (Refused, PipelineError, model_format.ConcurrentUpdateError) as error:
        print(f"Refused: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
