"""The stacks of a synthesized cloud assembly (cdk.out), read from its files: for what looks at
the templates without building the app again (the cost and bootstrap_policy commands, the
tests' ``templates``)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class StackTemplate:
    """One synthesized stack: its stage (e.g. "datathon-dev"), component and region."""

    stage: str
    component: str
    region: str
    template: dict[str, Any]


def read_stacks(cdk_out: Path, stage: str | None = None) -> list[StackTemplate]:
    """Every stack of the assembly in ``cdk_out``, or of its stage ``stage`` alone (whose
    manifest missing raises FileNotFoundError)."""
    manifests = (
        [cdk_out / f"assembly-{stage}" / "manifest.json"]
        if stage is not None
        else sorted(cdk_out.glob("assembly-*/manifest.json"))
    )
    stacks = []
    for manifest_path in manifests:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        for artifact in manifest.get("artifacts", {}).values():
            if artifact["type"] != "aws:cloudformation:stack":
                continue
            stage_of_stack, _, component = artifact["displayName"].rpartition("/")
            template_file = manifest_path.parent / artifact["properties"]["templateFile"]
            stacks.append(
                StackTemplate(
                    stage=stage_of_stack,
                    component=component,
                    # aws://<account>/<region>
                    region=artifact["environment"].rsplit("/", 1)[1],
                    template=json.loads(template_file.read_text(encoding="utf-8")),
                )
            )
    return stacks
