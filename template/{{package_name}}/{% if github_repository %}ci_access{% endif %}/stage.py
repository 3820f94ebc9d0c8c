"""The stage that holds the CI access stack of each AWS account the environments deploy to."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from ..constants import PROJECT_SLUG, bootstrap_qualifier
from ..environment import EnvironmentSettings
from .infrastructure import BootstrapTarget, CiAccess

TIERS = ("development", "staging", "production")


class CiAccessStage(cdk.Stage):
    """The ``CiAccess`` stack of one account, for the environments that deploy to it."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        repository: str,
        environments: Sequence[EnvironmentSettings],
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
        # A person deploys this stack, once, with their own (administrator) credentials: not
        # through an environment's bootstrap roles, whose execution policy may not touch the
        # deploy roles. The template is uploaded to the highest tier's bootstrap bucket.
        highest = max(environments, key=lambda settings: TIERS.index(settings.tier))
        self.ci_access = CiAccess(
            self,
            "CiAccess",
            repository=repository,
            targets={
                settings.name: BootstrapTarget(
                    account=settings.account,
                    region=settings.region,
                    qualifier=bootstrap_qualifier(settings.name),
                )
                for settings in environments
            },
            synthesizer=cdk.CliCredentialsStackSynthesizer(
                qualifier=bootstrap_qualifier(highest.name)
            ),
        )


def add_ci_access(
    app: cdk.App, *, repository: str, environments: Sequence[EnvironmentSettings]
) -> list[CiAccessStage]:
    """One stage per AWS account among the environments: ``<project>-ci-access``, or
    ``<project>-ci-access-<account>`` each when the environments span several accounts."""
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
        )
        for account, group in by_account.items()
    ]
