"""The smoke variant deploys, offline: its synthesized stacks reach CREATE_COMPLETE in moto's
CloudFormation in dependency order (their exports and imports resolve), and its training
pipeline's state machine runs to a successful execution in moto's Step Functions.

It does what `cdk deploy --all` does, in moto and in this process: bootstrap (the version
parameter, the asset bucket and repository), publish the file assets, create each stack once
the stacks it depends on are complete. moto cannot run Lambda code (it would need Docker), so:
- the handler of CDK's Custom::VpcRestrictDefaultSG is played by this test, which removes the
  default security group's rules as the handler does and reports success to CloudFormation;
  any other custom resource fails the test (the smoke variant avoids them through its answers:
  prod keeps its buckets, so no auto-delete handler);
- the pipeline's functions (container images) answer with what each job returns for a run, in
  order, through moto's Lambda without Docker; the test checks the payloads Step Functions hands
  each step and the execution's result.
docs/security.md lists what the smoke test does not cover.
"""

from __future__ import annotations

import io
import json
import os
import time
import zipfile
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

from matrix import load_variants, render, synthesize

pytestmark = pytest.mark.slow

try:
    import boto3
    from moto import mock_aws
    from moto.awslambda_simple.models import lambda_simple_backends
    from moto.cloudformation import custom_model, parsing
    from moto.cloudformation.models import cloudformation_backends
    from moto.kms.models import KmsBackend
    from moto.stepfunctions.models import stepfunctions_backends
    from moto.stepfunctions.parser.asl.component.intrinsic.function.statesfunction.generic import (
        string_format,
    )
except ImportError:  # the `smoke` group is not installed
    if os.environ.get("CI"):
        raise
    pytest.skip("moto is not installed: run `nox -s smoke`", allow_module_level=True)

VARIANTS = load_variants()
SMOKE = VARIANTS["smoke"]
ACCOUNT = "123456789012"  # moto's account
# Resource types that moto's CloudFormation does not implement: it skips them and completes the
# stack. The smoke variant's stacks hold exactly these; docs/security.md says so.
NOT_DEPLOYED_BY_MOTO = {
    "AWS::Athena::NamedQuery",
    "AWS::Athena::WorkGroup",
    "AWS::Budgets::Budget",
    "AWS::CloudWatch::Alarm",
    "AWS::Glue::Database",
    "AWS::Glue::Table",
    "AWS::S3::BucketPolicy",
    "AWS::SNS::Subscription",
    "AWS::SNS::TopicPolicy",
}
# The custom resources the test stands in for, by type.
PLAYED_HANDLERS = {"Custom::VpcRestrictDefaultSG"}


def _stack_artifacts(outdir: Path) -> dict[str, dict[str, Any]]:
    """Every stack of the assembly by artifact ID, with its directory."""
    artifacts = {}
    for manifest_path in outdir.glob("assembly-*/manifest.json"):
        manifest = json.loads(manifest_path.read_text())
        for artifact_id, artifact in manifest["artifacts"].items():
            if artifact["type"] == "aws:cloudformation:stack":
                artifacts[artifact_id] = {**artifact, "directory": manifest_path.parent}
    return artifacts


def _deploy_order(artifacts: dict[str, dict[str, Any]]) -> list[str]:
    """The stacks in an order where each comes after the stacks it depends on."""
    graph = {
        artifact_id: {d for d in artifact.get("dependencies", []) if d in artifacts}
        for artifact_id, artifact in artifacts.items()
    }
    return list(TopologicalSorter(graph).static_order())


def _substitute(text: str, region: str) -> str:
    return text.replace("${AWS::AccountId}", ACCOUNT).replace("${AWS::Region}", region)


def _bootstrap(region: str, qualifier: str) -> None:
    """What `cdk bootstrap --qualifier` leaves that the templates and the deploy use."""
    boto3.client("ssm", region_name=region).put_parameter(
        Name=f"/cdk-bootstrap/{qualifier}/version", Value="30", Type="String"
    )
    s3 = boto3.client("s3", region_name=region)
    bucket = f"cdk-{qualifier}-assets-{ACCOUNT}-{region}"
    if region == "us-east-1":
        s3.create_bucket(Bucket=bucket)
    else:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    boto3.client("ecr", region_name=region).create_repository(
        repositoryName=f"cdk-{qualifier}-container-assets-{ACCOUNT}-{region}"
    )


def _zip(directory: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory))
    return buffer.getvalue()


def _publish_file_assets(artifact_id: str, directory: Path, region: str) -> None:
    """Upload the stack's file assets where its template expects them, as cdk-assets does.
    Container images are not built: moto does not look for a function's image."""
    manifest = directory / f"{artifact_id}.assets.json"
    if not manifest.exists():
        return
    s3 = boto3.client("s3", region_name=region)
    for asset in json.loads(manifest.read_text()).get("files", {}).values():
        source = directory / asset["source"]["path"]
        body = _zip(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
        for destination in asset["destinations"].values():
            s3.put_object(
                Bucket=_substitute(destination["bucketName"], region),
                Key=_substitute(destination["objectKey"], region),
                Body=body,
            )


def _play_restrict_default_sg(event: dict[str, Any], region: str) -> None:
    """Do what CDK's VpcRestrictDefaultSG handler does with ``event``: remove every rule of the
    VPC's default security group."""
    ec2 = boto3.client("ec2", region_name=region)
    group_id = event["ResourceProperties"]["DefaultSecurityGroupId"]
    (group,) = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"]
    if group["IpPermissions"]:
        ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=group["IpPermissions"])
    if group["IpPermissionsEgress"]:
        ec2.revoke_security_group_egress(
            GroupId=group_id, IpPermissions=group["IpPermissionsEgress"]
        )


class _HandlerInvocations:
    """Stands in for the thread in which moto invokes a custom resource's handler (it would
    need Docker): records the event CloudFormation sends the handler instead."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def Thread(self, target: Any, args: tuple) -> _HandlerInvocations:
        self.events.append(json.loads(args[0]))
        return self

    def start(self) -> None:
        """The handler's work is played by the test once the stack waits for it."""


def _stack_output(region: str, stack_name: str, output_name: str) -> Any:
    """What CloudFormation's Fn::GetStackOutput returns: an output of a deployed stack."""
    stack = cloudformation_backends[ACCOUNT][region].get_stack(stack_name)
    assert stack.status == "CREATE_COMPLETE", f"{stack_name} is {stack.status}"
    output = stack.output_map[output_name]
    assert output is not None, f"{stack_name} has no output {output_name}"
    return output.value


def _with_get_stack_output(clean_json: Any) -> Any:
    """moto's template resolver, taught Fn::GetStackOutput: CDK's weak cross-stack references
    (cdk.json's @aws-cdk/core:defaultCrossStackReferences) use it, and moto 5.2 lacks it."""

    def resolve(resource_json: Any, resources_map: Any) -> Any:
        if isinstance(resource_json, dict) and "Fn::GetStackOutput" in resource_json:
            reference = resolve(resource_json["Fn::GetStackOutput"], resources_map)
            return _stack_output(
                reference.get("Region", resources_map._region_name),
                reference["StackName"],
                reference["OutputName"],
            )
        return clean_json(resource_json, resources_map)

    return resolve


def _aws_format(self: Any, env: Any) -> None:
    """States.Format as Step Functions evaluates it: each {} takes the next argument, and an
    escaped brace is a literal one (CDK writes a JSON template's braces as \\{ and \\}).
    moto 5.2 keeps the definition's JSON escaping inside the function (\\\\{) and hands the
    template to Python's str.format, which fails on both."""
    self.argument_list.eval(env=env)
    template, *arguments = env.stack.pop()
    values = iter(map(string_format.StringFormat._to_str_repr, arguments))
    result, index = [], 0
    while index < len(template):
        escaped = len(template[index:]) - len(template[index:].lstrip("\\"))
        if escaped and template[index + escaped : index + escaped + 1] in ("{", "}"):
            result.append(template[index + escaped])
            index += escaped + 1
        elif template.startswith("{}", index):
            result.append(next(values))
            index += 2
        else:
            result.append(template[index])
            index += 1
    env.stack.append("".join(result))


def _with_cloudformation_tags(create_key: Any) -> Any:
    """moto's KMS key from a template, taught CloudFormation's tags: moto 5.2 hands the
    template's {Key, Value} pairs to its API, which expects {TagKey, TagValue}, and fails."""

    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["tags"] = [
            {"TagKey": tag["Key"], "TagValue": tag["Value"]} if "Key" in tag else tag
            for tag in kwargs.get("tags") or []
        ]
        return create_key(self, *args, **kwargs)

    return create


def _deploy(outdir: Path, region: str) -> dict[str, dict[str, Any]]:
    """Deploy every stack in dependency order, as `cdk deploy --all` does; returns each stack's
    template and description by stack name."""
    cloudformation = boto3.client("cloudformation", region_name=region)
    handlers = _HandlerInvocations()
    artifacts = _stack_artifacts(outdir)
    deployed = {}
    with (
        mock.patch.object(parsing, "clean_json", _with_get_stack_output(parsing.clean_json)),
        mock.patch.object(custom_model, "threading", handlers),
        mock.patch.object(
            KmsBackend, "create_key", _with_cloudformation_tags(KmsBackend.create_key)
        ),
    ):
        for artifact_id in _deploy_order(artifacts):
            artifact = artifacts[artifact_id]
            _publish_file_assets(artifact_id, artifact["directory"], region)
            template_file = artifact["directory"] / artifact["properties"]["templateFile"]
            name = artifact["properties"]["stackName"]
            stack_id = cloudformation.create_stack(
                StackName=name,
                TemplateBody=template_file.read_text(),
                Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
            )["StackId"]
            stack = cloudformation_backends[ACCOUNT][region].get_stack(stack_id)
            while handlers.events:
                event = handlers.events.pop(0)
                assert event["ResourceType"] in PLAYED_HANDLERS, (
                    f"{name}: moto cannot run the handler of {event['ResourceType']}"
                )
                _play_restrict_default_sg(event, region)
                stack.get_custom_resource(event["LogicalResourceId"]).set_data({})
                stack.verify_readiness()
            (description,) = cloudformation.describe_stacks(StackName=stack_id)["Stacks"]
            assert description["StackStatus"] == "CREATE_COMPLETE", f"{name}: {description}"
            deployed[name] = {
                "template": json.loads(template_file.read_text()),
                "description": description,
            }
    return deployed


@pytest.fixture(scope="module")
def smoke_assembly(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The smoke variant, rendered and synthesized (its templates, as `cdk synth` writes them)."""
    root = tmp_path_factory.mktemp("smoke")
    answers = render(VARIANTS["supported"][SMOKE], root / "project")
    report = synthesize(
        root / "project", answers["package_name"], root / "cdk.out", builtin_validation=False
    )
    assert report.error is None, report.error
    return root / "cdk.out", answers


def _not_deployed_by_moto(deployed: dict[str, dict[str, Any]]) -> set[str]:
    implemented = set(parsing.get_model_map())
    return {
        resource["Type"]
        for stack in deployed.values()
        for resource in stack["template"]["Resources"].values()
        if resource["Type"] not in implemented and not resource["Type"].startswith("Custom::")
    }


def _outputs(deployed: dict[str, dict[str, Any]], component: str) -> dict[str, str]:
    (stack,) = [s for name, s in deployed.items() if name.endswith(f"-{component}")]
    return {o["OutputKey"]: o["OutputValue"] for o in stack["description"].get("Outputs", [])}


# What each job returns for a run (runtime/pipeline_jobs), in the order the state machine calls
# them: the claim of the pipeline, the export's snapshot, the training's metrics, the import's
# promotion (no approval needed), the release of the pipeline.
def _job_results(run_id: str) -> list[dict[str, Any]]:
    manifest_key = f"raw/_manifests/{run_id}.json"
    return [
        {"run_id": run_id},
        {"run_id": run_id, "dataset_date": "2026-01-01", "manifest_key": manifest_key},
        {"run_id": run_id, "metric": "accuracy", "value": 0.93, "rows": 150},
        {"promoted": True, "needs_approval": False, "run_id": run_id, "value": 0.93},
        {"run_id": run_id, "released": True},
    ]


def _wait_for(stepfunctions: Any, execution_arn: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        execution = stepfunctions.describe_execution(executionArn=execution_arn)
        if execution["status"] != "RUNNING":
            return execution
        time.sleep(0.2)
    raise AssertionError(f"{execution_arn} still runs after a minute")


def test_smoke_variant_deploys_and_its_pipeline_runs(smoke_assembly) -> None:
    outdir, answers = smoke_assembly
    region = answers["aws_region"]
    config = {"lambda": {"use_docker": False}, "stepfunctions": {"execute_state_machine": True}}
    with mock_aws(config=config):
        # The environment's own bootstrap, as README.md's commands make it.
        (environment,) = answers["environments"]
        _bootstrap(region, answers["bootstrap_qualifiers"][environment])
        deployed = _deploy(outdir, region)

        slug = answers["project_slug"]
        assert sorted(deployed) == [
            f"{slug}-prod-{c}" for c in ("DataLake", "Monitoring", "Network", "Pipeline")
        ]
        assert _not_deployed_by_moto(deployed) == NOT_DEPLOYED_BY_MOTO

        # The data lake's buckets exist, encrypted. (moto's CloudFormation sets no other
        # bucket property: tests/test_synth.py and test_security.py check the others.)
        s3 = boto3.client("s3", region_name=region)
        lake = _outputs(deployed, "DataLake")
        for output in ("DataBucketName", "FeaturesBucketName"):
            encryption = s3.get_bucket_encryption(Bucket=lake[output])
            (rule,) = encryption["ServerSideEncryptionConfiguration"]["Rules"]
            assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] in (
                "AES256",
                "aws:kms",
            )

        # The VPC's default security group was closed (the played handler's work).
        ec2 = boto3.client("ec2", region_name=region)
        (vpc,) = [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
        (default_group,) = ec2.describe_security_groups(
            Filters=[
                {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
                {"Name": "group-name", "Values": ["default"]},
            ]
        )["SecurityGroups"]
        assert default_group["IpPermissions"] == default_group["IpPermissionsEgress"] == []

        # The pipeline runs: Export -> Wait -> Train -> Import, each step handed what it needs.
        # moto runs executions in a back end of its own, apart from the one CloudFormation
        # fills: the deployed definition (its references resolved) is created there to run.
        stepfunctions = boto3.client("stepfunctions", region_name=region)
        deployed_machine = stepfunctions_backends[ACCOUNT][region].describe_state_machine(
            _outputs(deployed, "Pipeline")["StateMachineArn"]
        )
        machine_arn = stepfunctions.create_state_machine(
            name=deployed_machine.name,
            definition=deployed_machine.definition,
            roleArn=deployed_machine.roleArn,
        )["stateMachineArn"]
        run_id = "smoke-run"
        lambda_simple_backends[ACCOUNT][region].lambda_simple_results_queue.extend(
            json.dumps(result) for result in _job_results(run_id)
        )
        with mock.patch.object(string_format.StringFormat, "_eval_body", _aws_format):
            started = stepfunctions.start_execution(
                stateMachineArn=machine_arn, name=run_id, input=json.dumps({})
            )
            execution = _wait_for(stepfunctions, started["executionArn"])
        history = stepfunctions.get_execution_history(executionArn=started["executionArn"])
        entered = [
            event["stateEnteredEventDetails"]["name"]
            for event in history["events"]
            if "stateEnteredEventDetails" in event
        ]
        assert execution["status"] == "SUCCEEDED", (execution, entered)
        # prod promotes by hand: the Choice lets a run that needs no approval go on.
        assert entered == [
            "NameRun",
            "Claim",
            "Export",
            "Wait",
            "Train",
            "Import",
            "NeedsApproval",
            "Release",
        ]
        payloads = [
            json.loads(event["taskScheduledEventDetails"]["parameters"])["Payload"]
            for event in history["events"]
            if "taskScheduledEventDetails" in event
        ]
        claim, export, _, import_, _ = _job_results(run_id)
        # The run is named after the execution; the export gets the claim's result, training
        # the export's; the registry step gets only the run id and what to do.
        assert payloads == [
            {"run_id": run_id, "execution": started["executionArn"], "action": "claim"},
            claim,
            export,
            {"action": "evaluate", "run_id": run_id},
            {"action": "release", "run_id": run_id},
        ]
        assert json.loads(execution["output"]) == import_
