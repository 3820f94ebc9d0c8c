"""The stage that holds the CI access stack of each AWS account the environments deploy to."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from ..constants import PROJECT_SLUG
from ..environment import EnvironmentSettings
from .infrastructure import CiAccess

# Where `cdk bootstrap --qualifier` puts a non-default qualifier (cdk.json's context).
QUALIFIER_CONTEXT = "@aws-cdk/core:bootstrapQualifier"


class CiAccessStage(cdk.Stage):
    """The ``CiAccess`` stack of one account, for the environments that deploy to it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repository: str,
        environments: Sequence[EnvironmentSettings],
        bootstrap_qualifier: str,
        **kwargs: Any,
    ) -> None:
        account = environments[0].account or None
        super().__init__(
            scope,
            construct_id,
            env=cdk.Environment(account=account, region=environments[0].region),
            **kwargs,
        )
        cdk.Tags.of(self).add("project", PROJECT_SLUG)
        self.ci_access = CiAccess(
            self,
            "CiAccess",
            repository=repository,
            deploy_regions={settings.name: settings.region for settings in environments},
            bootstrap_qualifier=bootstrap_qualifier,
        )


def add_ci_access(
    app: cdk.App, *, repository: str, environments: Sequence[EnvironmentSettings]
) -> list[CiAccessStage]:
    """One stage per AWS account among the environments: ``<project>-ci-access``, or
    ``<project>-ci-access-<account>`` each when the environments span several accounts."""
    qualifier = app.node.try_get_context(QUALIFIER_CONTEXT) or (
        cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER
    )
    by_account = {
        account: list(group)
        for account, group in groupby(
            sorted(environments, key=lambda settings: settings.account),
            key=lambda settings: settings.account,
        )
    }
    return [
        CiAccessStage(
            app,
            f"{PROJECT_SLUG}-ci-access"
            + (f"-{account or 'default'}" if len(by_account) > 1 else ""),
            repository=repository,
            environments=group,
            bootstrap_qualifier=qualifier,
        )
        for account, group in by_account.items()
    ]
