"""The data lake: the main bucket, the versioned features bucket and the access-log bucket,
and SQL over them (catalog.py)."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from constructs import Construct

from ..compliance.nag import acknowledge_compliance
from ..compliance.scanners import skip_checkov
from ..constants import COMPLIANCE_PACK
from . import layout
from .catalog import LakeQueries
from .settings import DataLakeSettings

# The data buckets' encryption. A compliance pack asks for KMS: S3's AWS-managed key, with a
# bucket key that spares a KMS request per object. Without one, S3-managed keys keep reads
# free of KMS request charges.
DATA_ENCRYPTION = (
    s3.BucketEncryption.S3_MANAGED if COMPLIANCE_PACK == "none" else s3.BucketEncryption.KMS_MANAGED
)


class DataLake(cdk.Stack):
    """Creates the data lake's buckets and exposes them as ``data_bucket``,
    ``features_bucket`` and ``access_logs_bucket``; and ``queries``, the Glue database and
    Athena workgroup of the environment (``LakeQueries``).

    Every bucket blocks public access, refuses plain HTTP and is encrypted (``DATA_ENCRYPTION``
    for the data and features buckets; S3-managed keys for the access-log bucket, as log
    delivery accepts nothing else). Every bucket is versioned, and a superseded version
    expires after the days its config names. Unless the removal policy is DESTROY (an
    environment whose config says its data is disposable), the buckets and their objects
    outlive the stack.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: DataLakeSettings,
        environment: str,
        removal_policy: cdk.RemovalPolicy,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self._settings = settings
        self._removal_policy = removal_policy

        self.access_logs_bucket = self._bucket(
            "AccessLogs",
            # S3 and load balancer log delivery accept no other encryption.
            encryption=s3.BucketEncryption.S3_MANAGED,
            versioned=True,
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="expire-access-logs",
                    expiration=cdk.Duration.days(settings.access_logs_expiration_days),
                ),
                self._housekeeping_rule(settings.noncurrent_version_expiration_days),
            ],
        )
        skip_checkov(
            self.access_logs_bucket,
            "CKV_AWS_18",
            reason="This bucket receives the server access logs of the other buckets; logging "
            "its own access would write logs about log delivery, endlessly.",
        )
        acknowledge_compliance(
            self.access_logs_bucket,
            "S3DefaultEncryptionKMS",
            reason="S3 server access logs and load balancer access logs can only be delivered "
            "to a bucket encrypted with S3-managed keys (SSE-S3).",
        )
        cdk.Validations.of(self.access_logs_bucket).acknowledge(
            cdk.Acknowledgment(
                id="AwsSolutions-S1",
                reason="This bucket receives the server access logs of the other buckets; "
                "logging its own access would write logs about log delivery, endlessly.",
            )
        )
        # Whatever AWS's log delivery service is granted here (a load balancer's access logs
        # add such grants, naming no account), it may use only on behalf of this account.
        self.access_logs_bucket.add_to_resource_policy(
            iam.PolicyStatement(
                effect=iam.Effect.DENY,
                principals=[iam.ServicePrincipal("delivery.logs.amazonaws.com")],
                actions=["s3:PutObject", "s3:GetBucketAcl"],
                resources=[
                    self.access_logs_bucket.bucket_arn,
                    self.access_logs_bucket.arn_for_objects("*"),
                ],
                conditions={"StringNotEquals": {"aws:SourceAccount": self.account}},
            )
        )

        self.data_bucket = self._bucket(
            "Data",
            encryption=DATA_ENCRYPTION,
            versioned=True,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="data/",
            lifecycle_rules=[
                s3.LifecycleRule(
                    id="raw-to-infrequent-access",
                    prefix=layout.RAW,
                    transitions=[
                        s3.Transition(
                            storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                            transition_after=cdk.Duration.days(
                                settings.raw_transition_to_infrequent_access_days
                            ),
                        )
                    ],
                ),
                s3.LifecycleRule(
                    id="expire-logs",
                    prefix=layout.LOGS,
                    expiration=cdk.Duration.days(settings.logs_expiration_days),
                ),
                s3.LifecycleRule(
                    id="expire-query-results",
                    prefix=layout.QUERY_RESULTS,
                    expiration=cdk.Duration.days(settings.query_results_expiration_days),
                ),
                self._housekeeping_rule(settings.noncurrent_version_expiration_days),
            ],
        )

        self.features_bucket = self._bucket(
            "Features",
            encryption=DATA_ENCRYPTION,
            versioned=True,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix="features/",
            lifecycle_rules=[
                self._housekeeping_rule(settings.features_noncurrent_version_expiration_days)
            ],
        )

        for bucket in (self.access_logs_bucket, self.data_bucket, self.features_bucket):
            acknowledge_compliance(
                bucket,
                "S3BucketReplicationEnabled",
                reason="Versioning and the bucket's retention keep the data from deletion and "
                "overwrites; a copy in a second region, at twice the storage cost, is for a team "
                "whose data cannot be rebuilt from its sources.",
            )

        self.queries = LakeQueries(
            self,
            "Queries",
            environment=environment,
            data_bucket=self.data_bucket,
            scan_limit_gb=settings.query_scan_limit_gb,
        )

        cdk.CfnOutput(self, "DataBucketName", value=self.data_bucket.bucket_name)
        cdk.CfnOutput(self, "FeaturesBucketName", value=self.features_bucket.bucket_name)
        cdk.CfnOutput(self, "GlueDatabaseName", value=self.queries.database_name)
        cdk.CfnOutput(self, "AthenaWorkGroupName", value=self.queries.workgroup_name)
        cdk.CfnOutput(self, "QueryPolicyArn", value=self.queries.query_policy.managed_policy_arn)
        cdk.CfnOutput(
            self,
            "ResultsReaderPolicyArn",
            value=self.queries.results_reader_policy.managed_policy_arn,
        )

    def _housekeeping_rule(self, noncurrent_days: int) -> s3.LifecycleRule:
        """Expire superseded object versions and abandoned multipart uploads."""
        return s3.LifecycleRule(
            id="expire-noncurrent-versions",
            noncurrent_version_expiration=cdk.Duration.days(noncurrent_days),
            abort_incomplete_multipart_upload_after=cdk.Duration.days(
                self._settings.abort_incomplete_multipart_upload_days
            ),
        )

    def _bucket(self, construct_id: str, **kwargs: Any) -> s3.Bucket:
        destroy = self._removal_policy == cdk.RemovalPolicy.DESTROY
        return s3.Bucket(
            self,
            construct_id,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            # With SSE-KMS, one data key per bucket instead of a KMS request per object.
            bucket_key_enabled=kwargs["encryption"] == s3.BucketEncryption.KMS_MANAGED or None,
            removal_policy=self._removal_policy,
            auto_delete_objects=destroy,
            **kwargs,
        )
