"""Every supported variant synthesizes offline, cdk-nag clean, with the resources of exactly
the components it turns on."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import yaml

from conftest import MATRIX, Rendered
from matrix import TEMPLATE_ROOT, Stack, SynthReport

VARIANTS = sorted(MATRIX)
# Components are on unless a variant turns them off; the network comes with any that runs in it.
WITH_NETWORK = [
    name
    for name in VARIANTS
    if any(MATRIX[name].get(toggle, True) for toggle in ("with_api", "with_pipeline"))
]
WITH_API = [name for name in VARIANTS if MATRIX[name].get("with_api", True)]
WITH_PIPELINE = [name for name in VARIANTS if MATRIX[name].get("with_pipeline", True)]
WITH_FRONTEND = [name for name in VARIANTS if MATRIX[name].get("with_frontend", True)]
VERSIONS = yaml.safe_load((TEMPLATE_ROOT / "includes" / "versions.yml").read_text())["versions"]


@pytest.fixture(params=VARIANTS, ids=str)
def name(request: pytest.FixtureRequest) -> str:
    return request.param


def test_synthesizes_with_cdk_nag_clean(name: str, synthesized: dict[str, SynthReport]) -> None:
    report = synthesized[name]
    assert report.nag_findings == []
    assert report.error is None


def test_every_internet_facing_load_balancer_has_a_web_acl(
    name: str, synthesized: dict[str, SynthReport]
) -> None:
    for stack in synthesized[name].stacks.values():
        public = {
            logical_id
            for logical_id, load_balancer in stack.resources(
                "AWS::ElasticLoadBalancingV2::LoadBalancer"
            ).items()
            if load_balancer["Properties"].get("Scheme") == "internet-facing"
        }
        associated = {
            association["Properties"]["ResourceArn"].get("Ref")
            for association in stack.resources("AWS::WAFv2::WebACLAssociation").values()
        }
        assert public <= associated, f"{stack.name}: no web ACL on {sorted(public - associated)}"


def test_one_stage_per_environment_with_its_components(
    name: str, synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    variant = rendered_variants[name]
    components = {
        "Network": variant.answers["with_network"],
        "DataLake": variant.answers["with_data_lake"],
        "Api": variant.answers["with_api"],
        "Pipeline": variant.answers["with_pipeline"],
        "Frontend": variant.answers["with_frontend"],
        "Monitoring": True,
    }
    expected = {
        f"{variant.stage(environment)}/{component}"
        for environment in variant.answers["environments"]
        for component, on in components.items()
        if on
    }
    if variant.answers["github_repository"]:
        # GitHub Actions' deploy roles: one stage per account, beside the environments'.
        slug = variant.answers["project_slug"]
        accounts = {
            variant.answers["environment_accounts"][e] for e in variant.answers["environments"]
        }
        expected |= (
            {f"{slug}-ci-access-{account}/CiAccess" for account in accounts}
            if len(accounts) > 1
            else {f"{slug}-ci-access/CiAccess"}
        )
    assert set(synthesized[name].stacks) == expected


@pytest.mark.parametrize("network_variant", WITH_NETWORK, ids=str)
def test_network(
    network_variant: str,
    synthesized: dict[str, SynthReport],
    rendered_variants: dict[str, Rendered],
) -> None:
    name = network_variant
    variant = rendered_variants[name]
    assert variant.answers["with_network"]
    for environment in variant.answers["environments"]:
        # Development takes the cheapest layout that works: one shared NAT gateway at most.
        nat = variant.answers["nat_gateways"]
        if environment == "dev":
            nat = min(nat, 1)
        stack = synthesized[name].stack(variant.stage(environment), "Network")
        assert len(stack.resources("AWS::EC2::VPC")) == 1
        assert len(stack.resources("AWS::EC2::NatGateway")) == nat
        subnets = stack.resources("AWS::EC2::Subnet").values()
        # Two zones of public and isolated subnets, plus private ones where NAT gives egress.
        assert len(subnets) == (6 if nat else 4)
        flow_logs = list(stack.resources("AWS::EC2::FlowLog").values())
        assert [f["Properties"]["LogDestinationType"] for f in flow_logs] == ["cloud-watch-logs"]
        log_groups = stack.resources("AWS::Logs::LogGroup").values()
        assert all("RetentionInDays" in g["Properties"] for g in log_groups)
        endpoints = stack.resources("AWS::EC2::VPCEndpoint").values()
        assert any(e["Properties"].get("VpcEndpointType") == "Gateway" for e in endpoints)


def _bucket(stack, logical_prefix: str) -> dict:
    (bucket,) = [
        resource
        for logical_id, resource in stack.resources("AWS::S3::Bucket").items()
        if logical_id.startswith(logical_prefix)
    ]
    return bucket


def test_data_lake(
    name: str, synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    variant = rendered_variants[name]
    for environment in variant.answers["environments"]:
        stack = synthesized[name].stack(variant.stage(environment), "DataLake")
        buckets = stack.resources("AWS::S3::Bucket")
        assert len(buckets) == 3
        for bucket in buckets.values():
            properties = bucket["Properties"]
            assert properties["PublicAccessBlockConfiguration"] == {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            }
            assert "BucketEncryption" in properties
            # Production data outlives its stack; dev is disposable by its config.
            expected = "Delete" if environment == "dev" else "Retain"
            assert bucket["DeletionPolicy"] == expected
        features = _bucket(stack, "Features")["Properties"]
        assert features["VersioningConfiguration"] == {"Status": "Enabled"}
        rules = features["LifecycleConfiguration"]["Rules"]
        assert any("NoncurrentVersionExpiration" in rule for rule in rules)
        assert any("AbortIncompleteMultipartUpload" in rule for rule in rules)
        data_rules = _bucket(stack, "Data")["Properties"]["LifecycleConfiguration"]["Rules"]
        assert {"Prefix": "logs/"}.items() <= next(
            rule for rule in data_rules if rule.get("Prefix") == "logs/"
        ).items()
        policies = stack.resources("AWS::S3::BucketPolicy").values()
        ssl_denials = [
            statement
            for policy in policies
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert len(ssl_denials) == 3


def test_lake_queries(
    name: str, synthesized: dict[str, SynthReport], rendered_variants: dict[str, Rendered]
) -> None:
    """A Glue database and an enforced Athena workgroup per environment; with the pipeline,
    a table for each thing it writes, partitions projected, and the named queries."""
    variant = rendered_variants[name]
    for environment in variant.answers["environments"]:
        lake = synthesized[name].settings[environment]["data_lake"]
        stack = synthesized[name].stack(variant.stage(environment), "DataLake")
        (database,) = stack.resources("AWS::Glue::Database").values()
        (workgroup,) = stack.resources("AWS::Athena::WorkGroup").values()
        configuration = workgroup["Properties"]["WorkGroupConfiguration"]
        assert configuration["EnforceWorkGroupConfiguration"] is True
        assert configuration["BytesScannedCutoffPerQuery"] == lake["query_scan_limit_gb"] * 10**9
        assert configuration["EngineVersion"]["SelectedEngineVersion"].startswith("Athena engine")
        results = configuration["ResultConfiguration"]
        assert "EncryptionOption" in results["EncryptionConfiguration"]
        assert len(stack.resources("AWS::IAM::ManagedPolicy")) == 2
        if not variant.answers["with_pipeline"]:
            continue
        pipeline = synthesized[name].stack(variant.stage(environment), "Pipeline")
        tables = {
            t["Properties"]["TableInput"]["Name"]: t["Properties"]
            for t in pipeline.resources("AWS::Glue::Table").values()
        }
        # The sample of the task type: iris for a classification, house prices for a regression.
        sample = (
            "raw_house_prices" if variant.answers.get("task_type") == "regression" else "raw_iris"
        )
        assert {"training_results", "feature_drift", "runs", "predictions", sample} <= set(tables)
        for table in tables.values():
            assert table["DatabaseName"] == database["Properties"]["DatabaseInput"]["Name"]
            assert table["TableInput"]["StorageDescriptor"]["Columns"]
        assert tables[sample]["TableInput"]["Parameters"]["projection.dt.type"] == "date"
        queries = [
            q["Properties"]["Name"] for q in pipeline.resources("AWS::Athena::NamedQuery").values()
        ]
        assert {"runs-leaderboard", "drift-by-feature-over-time", "predictions-of-a-run"} <= set(
            queries
        )


@pytest.mark.parametrize("api_variant", WITH_API, ids=str)
def test_api(
    api_variant: str,
    synthesized: dict[str, SynthReport],
    rendered_variants: dict[str, Rendered],
) -> None:
    variant = rendered_variants[api_variant]
    answers = variant.answers
    for environment in answers["environments"]:
        stack = synthesized[api_variant].stack(variant.stage(environment), "Api")
        (service,) = stack.resources("AWS::ECS::Service").values()
        deployment = service["Properties"]["DeploymentConfiguration"]
        assert deployment["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
        assert deployment["MinimumHealthyPercent"] == 100
        assert (
            service["Properties"]["NetworkConfiguration"]["AwsvpcConfiguration"]["AssignPublicIp"]
            == "DISABLED"
        )
        (cluster,) = stack.resources("AWS::ECS::Cluster").values()
        assert {"Name": "containerInsights", "Value": "enabled"} in cluster["Properties"][
            "ClusterSettings"
        ]
        (target_group,) = stack.resources("AWS::ElasticLoadBalancingV2::TargetGroup").values()
        assert target_group["Properties"]["HealthCheckPath"] == "/health"
        (load_balancer,) = stack.resources("AWS::ElasticLoadBalancingV2::LoadBalancer").values()
        attributes = {
            a["Key"]: a["Value"] for a in load_balancer["Properties"]["LoadBalancerAttributes"]
        }
        assert attributes["access_logs.s3.enabled"] == "true"
        assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
        listeners = stack.resources("AWS::ElasticLoadBalancingV2::Listener").values()
        ports = sorted(listener["Properties"]["Port"] for listener in listeners)
        certificates = stack.resources("AWS::CertificateManager::Certificate")
        if answers["api_exposure"] == "api_gateway":
            assert load_balancer["Properties"]["Scheme"] == "internal"
            assert ports == [80]
            assert len(stack.resources("AWS::ApiGatewayV2::VpcLink")) == 1
            (stage,) = stack.resources("AWS::ApiGatewayV2::Stage").values()
            assert "AccessLogSettings" in stage["Properties"]
            assert stage["Properties"]["DefaultRouteSettings"]["ThrottlingRateLimit"] > 0
            (route,) = stack.resources("AWS::ApiGatewayV2::Route").values()
            expected_auth = "AWS_IAM" if answers["api_auth"] == "iam" else "NONE"
            assert route["Properties"].get("AuthorizationType", "NONE") == expected_auth
            assert len(stack.resources("AWS::ApiGatewayV2::DomainName")) == bool(
                answers["domain_name"]
            )
        else:
            assert load_balancer["Properties"]["Scheme"] == "internet-facing"
            assert len(stack.resources("AWS::WAFv2::WebACLAssociation")) == 1
            if answers["domain_name"]:
                assert ports == [80, 443]
                (https,) = [
                    listener
                    for listener in listeners
                    if listener["Properties"]["Protocol"] == "HTTPS"
                ]
                assert https["Properties"]["SslPolicy"].startswith("ELBSecurityPolicy-TLS13")
            else:
                assert ports == [80]
        assert len(certificates) == bool(answers["domain_name"])


def _definition(state_machine: dict[str, Any]) -> dict[str, Any]:
    """A state machine's definition, with its CloudFormation references as "REF"."""
    body = state_machine["Properties"]["DefinitionString"]
    parts = body["Fn::Join"][1] if isinstance(body, dict) else [body]
    return json.loads("".join(part if isinstance(part, str) else "REF" for part in parts))


def _attempts(state: dict[str, Any], error: str) -> int:
    """How often a task state retries ``error``: its first retrier that matches decides."""
    for retrier in state.get("Retry", []):
        matches = retrier["ErrorEquals"]
        if (
            error in matches
            or "States.ALL" in matches
            or ("States.TaskFailed" in matches and not error.startswith("States."))
        ):
            return retrier["MaxAttempts"]
    return 0


@pytest.mark.parametrize("pipeline_variant", WITH_PIPELINE, ids=str)
def test_pipeline(
    pipeline_variant: str,
    synthesized: dict[str, SynthReport],
    rendered_variants: dict[str, Rendered],
) -> None:
    variant = rendered_variants[pipeline_variant]
    answers = variant.answers
    compute = answers["training_compute"]
    fargate, sagemaker = compute == "fargate", compute == "sagemaker"
    for environment in answers["environments"]:
        config = synthesized[pipeline_variant].settings[environment]["pipeline"]
        stack = synthesized[pipeline_variant].stack(variant.stage(environment), "Pipeline")

        (machine,) = stack.resources("AWS::StepFunctions::StateMachine").values()
        assert machine["Properties"]["LoggingConfiguration"]["Level"] == "ALL"
        assert machine["Properties"]["TracingConfiguration"] == {"Enabled": True}
        definition = _definition(machine)
        manual = config["promotion"] == "manual"
        minutes = config["execution_timeout_minutes"]
        if minutes is None:  # the steps' limits (the registry step's three calls) plus ten minutes
            steps = config["wait_seconds"] + config["export_tables"]["timeout_seconds"]
            steps += 3 * config["import_model"]["timeout_seconds"]
            steps += {
                "fargate": config["fargate_training"]["timeout_minutes"] * 60,
                # A training job's run (or spot wait), and ten minutes to start an instance.
                "sagemaker": _sagemaker_minutes(config["sagemaker_training"]) * 60 + 600,
            }.get(compute, config["train_model"]["timeout_seconds"])
            steps += config["approval_timeout_hours"] * 3600 if manual else 0
            minutes = -(-steps // 60) + 10
        assert definition["TimeoutSeconds"] == minutes * 60
        states = definition["States"]
        assert definition["StartAt"] == "NameRun"
        assert [states[s]["Next"] for s in ("NameRun", "Claim", "Export", "Wait", "Train")] == [
            "Claim",
            "Export",
            "Wait",
            "Train",
            "Import",
        ]
        # Production waits for approval by default; other tiers promote automatically.
        assert manual == (environment in ("prod", "production"))
        decided = states["Import"]["Next"]
        if manual:
            assert decided == "NeedsApproval"
            assert states["NeedsApproval"]["Choices"][0]["Next"] == "AwaitApproval"
            assert states["NeedsApproval"]["Default"] == "Release"
            assert states["AwaitApproval"]["Resource"].endswith(
                ":states:::lambda:invoke.waitForTaskToken"
            )
            assert states["AwaitApproval"]["Next"] == "Release"
        else:
            assert decided == "Release"
            assert {"NeedsApproval", "AwaitApproval"}.isdisjoint(states)
        assert states["Release"]["End"] is True
        # A start while another run holds the pipeline is refused; a scheduled one skips.
        assert states["Claim"]["Catch"][0]["ErrorEquals"] == ["RunInProgressError"]
        refusal = states[states["Claim"]["Catch"][0]["Next"]]
        assert {states[c["Next"]]["Type"] for c in refusal["Choices"]} == {"Succeed"}
        assert states[refusal["Default"]]["Type"] == "Fail"
        assert states["Wait"]["Seconds"] == answers["pipeline_wait_seconds"]
        for name in ("Claim", "Export", "Train", "Import", "Release"):
            state = states[name]
            assert state["Catch"][-1] == {
                "ErrorEquals": ["States.ALL"],
                "ResultPath": "$.error",
                "Next": "ReleaseAfterFailure",
            }
            assert any(r["MaxAttempts"] > 0 and r["BackoffRate"] > 1 for r in state["Retry"])
            # A data error fails at once: retrying cannot fix the data.
            assert _attempts(state, "NoDataError") == 0
            assert _attempts(state, "TooFewRowsError") == 0
        for name in ("Export", "Import"):
            assert _attempts(states[name], "States.TaskFailed") > 0
        # A failed run gives the pipeline back, then fails; monitoring reports it.
        assert states["ReleaseAfterFailure"]["Next"] == "Failed"
        assert states["Failed"]["Type"] == "Fail"
        training_role = {"fargate": "TrainingTaskRole", "sagemaker": "TrainingJobRole"}
        _registry_grants(stack, training_role=training_role.get(compute, "TrainModelRole"))

        functions = {
            fn["Properties"]["ImageConfig"]["Command"][0].split(".")[1]: fn["Properties"]
            for fn in stack.resources("AWS::Lambda::Function").values()
        }
        expected_jobs = {"export_tables", "import_model", "score_batch"}
        expected_jobs |= {"train_model"} if compute == "lambda" else set()
        assert set(functions) == expected_jobs
        log_groups = stack.resources("AWS::Logs::LogGroup")
        for job, properties in functions.items():
            assert properties["MemorySize"] == config[job]["memory_mb"]
            assert properties["Timeout"] == config[job]["timeout_seconds"]
            assert properties["TracingConfig"] == {"Mode": "Active"}
            assert "VpcConfig" in properties
            log_group = log_groups[properties["LoggingConfig"]["LogGroup"]["Ref"]]
            assert log_group["Properties"]["RetentionInDays"] == config["log_retention_days"]
        assert all(
            group["Properties"]["RetentionInDays"] == config["log_retention_days"]
            for group in log_groups.values()
        )

        task_definitions = stack.resources("AWS::ECS::TaskDefinition").values()
        if fargate:
            assert states["Train"]["Resource"].endswith(":states:::ecs:runTask.sync")
            assert states["Train"]["TimeoutSeconds"] == (
                config["fargate_training"]["timeout_minutes"] * 60
            )
            # A task that ran and failed is not started again.
            assert _attempts(states["Train"], "States.TaskFailed") == 0
            (task,) = task_definitions
            assert task["Properties"]["Cpu"] == str(config["fargate_training"]["cpu"])
            assert task["Properties"]["Memory"] == str(config["fargate_training"]["memory_mib"])
            (container,) = task["Properties"]["ContainerDefinitions"]
            assert container["LogConfiguration"]["LogDriver"] == "awslogs"
            assert container["ReadonlyRootFilesystem"] is True
            _runs_as_the_owner_of_its_scratch_volume(
                container, synthesized[pipeline_variant], variant
            )
        elif sagemaker:
            _sagemaker_training(stack, states["Train"], config["sagemaker_training"])
            assert list(task_definitions) == []
        else:
            assert states["Train"]["Resource"].endswith(":states:::lambda:invoke")
            assert list(task_definitions) == []

        schedules = [
            s["Properties"]["ScheduleExpression"]
            for s in stack.resources("AWS::Scheduler::Schedule").values()
        ]
        assert schedules == ([answers["pipeline_schedule"]] if answers["pipeline_schedule"] else [])

        assert stack.resources("AWS::SNS::Topic") == {}
        (group,) = stack.resources("AWS::EC2::SecurityGroup").values()
        assert "SecurityGroupIngress" not in group["Properties"]
        assert [
            (e["IpProtocol"], e["FromPort"]) for e in group["Properties"]["SecurityGroupEgress"]
        ] == [("tcp", 443)]


def _runs_as_the_owner_of_its_scratch_volume(
    container: dict[str, Any], report: SynthReport, variant: Rendered
) -> None:
    """The training container runs as a user that is not root, and its only writable folder,
    the task volume at /tmp, is one the image declares and gives that user (Fargate mounts an
    undeclared one root-owned)."""
    user = container["User"]
    assert user.split(":")[0] not in {"0", "root"}
    assert [(m["ContainerPath"], m["ReadOnly"]) for m in container["MountPoints"]] == [
        ("/tmp", False)
    ]
    # The image is built with the same user (a build argument of its asset) ...
    image_hash = container["Image"]["Fn::Sub"].rsplit(":", 1)[-1]
    assert report.outdir is not None
    build_args = [
        image["source"].get("dockerBuildArgs")
        for manifest in report.outdir.glob("assembly-*/*.assets.json")
        for asset_hash, image in json.loads(manifest.read_text())["dockerImages"].items()
        if asset_hash == image_hash
    ]
    assert build_args and all(args == {"TASK_USER": user} for args in build_args)
    # ... which owns the folder that the image declares as the volume.
    dockerfile = (variant.package_dir / "pipeline" / "runtime" / "Dockerfile").read_text()
    assert "ARG TASK_USER" in dockerfile
    assert re.search(r'^RUN chown "\$\{TASK_USER[^}]*\}" /tmp$', dockerfile, re.M)
    assert re.search(r'^VOLUME \["/tmp"\]$', dockerfile, re.M)


def _sagemaker_minutes(size: dict[str, Any]) -> int:
    return size["max_wait_minutes"] if size["spot"] else size["max_runtime_minutes"]


def _sagemaker_training(stack: Stack, train: dict[str, Any], size: dict[str, Any]) -> None:
    """The Train step creates a SageMaker training job of the pipeline's image, named per run,
    in the VPC, and waits for it; the state machine may run only those jobs, with only their
    role; the job's role holds '*' only for what SageMaker documents there."""
    assert train["Resource"].endswith(":states:::sagemaker:createTrainingJob.sync")
    assert train["TimeoutSeconds"] == _sagemaker_minutes(size) * 60 + 600
    # A job that ran and failed is not started again.
    assert _attempts(train, "States.TaskFailed") == 0
    parameters = train["Parameters"]
    name = parameters["TrainingJobName.$"]
    prefix = re.fullmatch(
        r"States\.Format\('([A-Za-z0-9-]+)-\{\}', States\.Hash\(\$\.run_id, 'MD5'\)\)", name
    )
    assert prefix and len(prefix[1]) + 1 + 32 <= 63, name
    assert parameters["AlgorithmSpecification"]["ContainerEntrypoint"] == [
        "python3",
        "-m",
        "pipeline_jobs.train_model",
    ]
    environment = parameters["Environment"]
    assert {environment[f"{key}.$"] for key in ("RUN_ID", "MANIFEST_KEY", "DATASET_DATE")} == {
        "$.run_id",
        "$.manifest_key",
        "$.dataset_date",
    }
    assert parameters["ResourceConfig"] == {
        "InstanceType": size["instance_type"],
        "InstanceCount": size["instance_count"],
        "VolumeSizeInGB": size["volume_size_gb"],
    }
    # The hosts share a search through S3 only when there are several of them.
    assert ("TRIALS_WAIT_SECONDS" in environment) is (size["instance_count"] > 1)
    assert (
        parameters["StoppingCondition"]["MaxRuntimeInSeconds"] == size["max_runtime_minutes"] * 60
    )
    assert parameters["EnableManagedSpotTraining"] is size["spot"]
    assert ("CheckpointConfig" in parameters) is size["spot"]
    assert set(parameters["VpcConfig"]) == {"Subnets", "SecurityGroupIds"}

    def statements(role: str) -> list[dict[str, Any]]:
        return [
            statement
            for policy in stack.resources("AWS::IAM::Policy").values()
            if any(r["Ref"].startswith(role) for r in policy["Properties"]["Roles"])
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        ]

    def actions(statement: dict[str, Any]) -> list[str]:
        return (
            [statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"]
        )

    machine = statements("StateMachineRole")
    jobs = f":training-job/{prefix[1]}-{'?' * 32}"
    sagemaker_actions = [
        action
        for statement in machine
        for action in actions(statement)
        if action.startswith("sagemaker:")
    ]
    assert sorted(sagemaker_actions) == [
        "sagemaker:CreateTrainingJob",
        "sagemaker:DescribeTrainingJob",
        "sagemaker:ListTags",
        "sagemaker:StopTrainingJob",
    ]
    for statement in machine:
        resource = json.dumps(statement["Resource"])
        if any(a.startswith("sagemaker:") for a in actions(statement)):
            assert jobs in resource and "*" not in resource, resource
        if "iam:PassRole" in actions(statement):
            assert statement["Resource"]["Fn::GetAtt"][0].startswith("TrainingJobRole")
            assert statement["Condition"] == {
                "StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}
            }
        if statement["Resource"] == "*":
            assert not any(
                a.startswith(("sagemaker:", "iam:", "events:")) for a in actions(statement)
            )
    # What SageMaker documents on '*' for a training job in a VPC, nothing else.
    documented = {
        "ecr:GetAuthorizationToken",
        "cloudwatch:PutMetricData",
        "ec2:CreateNetworkInterface",
        "ec2:DeleteNetworkInterface",
        "ec2:DescribeNetworkInterfaces",
        "ec2:DescribeVpcs",
        "ec2:DescribeDhcpOptions",
        "ec2:DescribeSubnets",
        "ec2:DescribeSecurityGroups",
    }
    on_anything = {
        action
        for statement in statements("TrainingJobRole")
        if statement["Resource"] == "*"
        for action in actions(statement)
    }
    assert on_anything <= documented
    # Its own files: the job's output and checkpoints, and the hosts' trials only with hosts.
    own_files = sorted(
        text.split("/training_jobs/")[1].split('"')[0]
        for statement in statements("TrainingJobRole")
        for resource in (
            statement["Resource"]
            if isinstance(statement["Resource"], list)
            else [statement["Resource"]]
        )
        if "/training_jobs/" in (text := json.dumps(resource))
    )
    trials = ["*/trials/*"] if size["instance_count"] > 1 else []
    assert own_files == sorted(["output/*", "checkpoints/*", *trials])


def _registry_grants(stack: Stack, *, training_role: str) -> None:
    """Only the registry step may mark a champion; training writes a run's model only once."""

    def puts(role: str) -> list[tuple[str, str, Any]]:
        return [
            (statement["Effect"], json.dumps(statement["Resource"]), statement.get("Condition"))
            for policy in stack.resources("AWS::IAM::Policy").values()
            if any(r["Ref"].startswith(role) for r in policy["Properties"]["Roles"])
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if "s3:PutObject" in statement["Action"]
        ]

    for champion in ("/models/latest.json", "/registry/*"):
        assert any(e == "Allow" and champion in r for e, r, _ in puts("ImportModelRole"))
        assert any(e == "Deny" and champion in r for e, r, _ in puts(training_role))
        assert not any(e == "Allow" and champion in r for e, r, _ in puts(training_role))
    [models] = [c for e, r, c in puts(training_role) if e == "Allow" and "/models/*" in r]
    assert models == {"Null": {"s3:if-none-match": "false"}}


def _ingress_rules(stack: Stack) -> list[dict[str, Any]]:
    """Every ingress rule of a stack: inline in its security groups, and standalone."""
    inline = [
        rule
        for group in stack.resources("AWS::EC2::SecurityGroup").values()
        for rule in group["Properties"].get("SecurityGroupIngress", [])
    ]
    standalone = [
        rule["Properties"] for rule in stack.resources("AWS::EC2::SecurityGroupIngress").values()
    ]
    return inline + standalone


def test_no_ssh_port_is_open_anywhere(name: str, synthesized: dict[str, SynthReport]) -> None:
    opening_ssh = [
        f"{stack.name}: {rule}"
        for stack in synthesized[name].stacks.values()
        for rule in _ingress_rules(stack)
        if rule["IpProtocol"] == "-1" or rule["FromPort"] <= 22 <= rule["ToPort"]
    ]
    assert opening_ssh == []


def _user_data(launch_template: dict[str, Any]) -> str:
    """The literal text of a launch template's user data (its references left out)."""
    user_data = launch_template["Properties"]["LaunchTemplateData"]["UserData"]["Fn::Base64"]
    return "".join(part for part in user_data["Fn::Join"][1] if isinstance(part, str))


@pytest.mark.parametrize("frontend_variant", WITH_FRONTEND, ids=str)
def test_frontend(
    frontend_variant: str,
    synthesized: dict[str, SynthReport],
    rendered_variants: dict[str, Rendered],
) -> None:
    variant = rendered_variants[frontend_variant]
    answers = variant.answers
    instance_type = answers["frontend_instance_type"]
    # Graviton families have a "g" after their generation (t4g, m7g): they boot the arm64 image.
    architecture = "arm64" if re.match(r"^[a-z]+[0-9]+g", instance_type) else "x86_64"
    for environment in answers["environments"]:
        config = synthesized[frontend_variant].settings[environment]["frontend"]
        stack = synthesized[frontend_variant].stack(variant.stage(environment), "Frontend")

        (launch_template,) = stack.resources("AWS::EC2::LaunchTemplate").values()
        data = launch_template["Properties"]["LaunchTemplateData"]
        assert data["MetadataOptions"]["HttpTokens"] == "required"
        assert data["InstanceType"] == instance_type
        assert data["Monitoring"] == {"Enabled": True}
        assert data["DisableApiTermination"] is (environment == "prod")
        assert [device["Ebs"]["Encrypted"] for device in data["BlockDeviceMappings"]] == [True]
        assert "KeyName" not in data
        image = stack.template["Parameters"][data["ImageId"]["Ref"]]
        assert image["Type"] == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"
        assert image["Default"].startswith("/aws/service/ami-amazon-linux-latest/al2023-ami-")
        assert image["Default"].endswith(f"-{architecture}")

        user_data = _user_data(launch_template)
        assert f"NODE_MAJOR={VERSIONS['default']['node_major']}" in user_data
        assert "/etc/systemd/system/frontend.service" in user_data
        assert "Restart=on-failure" in user_data

        (group,) = stack.resources("AWS::AutoScaling::AutoScalingGroup").values()
        assert (group["Properties"]["MinSize"], group["Properties"]["MaxSize"]) == ("1", "1")
        assert group["Properties"]["HealthCheckType"] == "ELB"
        assert group["UpdatePolicy"]["AutoScalingReplacingUpdate"] == {"WillReplace": True}
        assert group["CreationPolicy"]["ResourceSignal"]["Count"] == 1
        assert stack.resources("AWS::EC2::Instance") == {}

        (target_group,) = stack.resources("AWS::ElasticLoadBalancingV2::TargetGroup").values()
        assert target_group["Properties"]["HealthCheckPath"] == "/api/health"
        (load_balancer,) = stack.resources("AWS::ElasticLoadBalancingV2::LoadBalancer").values()
        assert load_balancer["Properties"]["Scheme"] == "internet-facing"
        attributes = {
            a["Key"]: a["Value"] for a in load_balancer["Properties"]["LoadBalancerAttributes"]
        }
        assert attributes["access_logs.s3.enabled"] == "true"
        assert attributes["routing.http.drop_invalid_header_fields.enabled"] == "true"
        protocols = sorted(
            listener["Properties"]["Protocol"]
            for listener in stack.resources("AWS::ElasticLoadBalancingV2::Listener").values()
        )
        assert protocols == (["HTTP", "HTTPS"] if config["domain_name"] else ["HTTP"])
        assert len(stack.resources("AWS::CertificateManager::Certificate")) == bool(
            config["domain_name"]
        )

        # The app's, the boot's and the web ACL's.
        log_groups = stack.resources("AWS::Logs::LogGroup").values()
        assert [g["Properties"]["RetentionInDays"] for g in log_groups] == [
            config["log_retention_days"]
        ] * 3

        # The page's server calls the API at its public address, as any caller does; with
        # API Gateway's IAM auth it signs, and its role may invoke the page's two routes.
        (role_policy,) = stack.resources("AWS::IAM::Policy").values()
        invoke = [
            statement
            for statement in role_policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Action"] == "execute-api:Invoke"
        ]
        signing_region = re.search(r"readonly API_SIGNING_REGION=(\S*)", user_data)
        assert signing_region
        if answers["api_exposure"] == "api_gateway" and answers["api_auth"] == "iam":
            assert signing_region.group(1) == answers["aws_region"]
            (statement,) = invoke
            assert sorted(arn["Fn::Join"][1][-1] for arn in statement["Resource"]) == [
                "/$default/GET/model",
                "/$default/GET/runs",
                "/$default/POST/predict",
                "/$default/POST/predict/batch",
            ]
        else:
            assert signing_region.group(1) in ("", "''")
            assert invoke == []
        # Nothing lets the instance into the API's internal load balancer.
        assert not [
            rule
            for rule in _ingress_rules(stack)
            if rule["FromPort"] == 80 and "SourceSecurityGroupId" in rule
        ]
