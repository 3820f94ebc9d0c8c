"""The team's own stacks, added to the stage of every environment.

The template writes this file once, when the project is copied, and never again: `copier
update`, switching a component on or off and `copier recopy` leave it as it is (copier.yml
lists it in `_skip_if_exists`). Wire your stacks here; keep their code in modules of your own
next to this one, or in a folder of your own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .stage import PlatformStage


def add_own_stacks(stage: PlatformStage) -> None:
    """Add the team's stacks to ``stage``, one environment of the platform.

    ``stage.settings`` is the environment's settings and ``stage.components`` the components'
    stacks by config section, for their outputs. For example, a dashboard over the data lake:

        if "data_lake" in stage.components:
            Dashboards(stage, "Dashboards", bucket=stage.components["data_lake"].data_bucket)

    Every stack added here is synthesized with the others and checked by cdk-nag.
    """
