"""Print what each environment costs a month when idle, from the synthesized templates.

    npx cdk synth                       # or: CDK_OUTDIR=cdk.out uv run python app.py
    python -m <package>.cost            # every environment of cdk.out, by component
    python -m <package>.cost --cdk-out other/cdk.out

Prices come from prices.yml beside this module (dated); what is not counted is in the
module's docstring. Exits with status 2 when there is no cloud assembly to read.
"""

from __future__ import annotations

import argparse
import sys
from itertools import groupby
from pathlib import Path

from ..cloud_assembly import read_stacks
from . import ITEMS, estimate, load_prices, totals


def _label(item: str) -> str:
    key, _, instance_type = item.partition(":")
    return f"{ITEMS[key]} ({instance_type})" if instance_type else ITEMS[key]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog=f"python -m {__package__}",
        description="Estimate each environment's monthly cost when idle from cdk.out.",
    )
    parser.add_argument("--cdk-out", type=Path, default=Path("cdk.out"), help="default: cdk.out")
    arguments = parser.parse_args(argv)
    if not list(arguments.cdk_out.glob("assembly-*/manifest.json")):
        print(
            f"No synthesized app in {arguments.cdk_out}: run `npx cdk synth` first.",
            file=sys.stderr,
        )
        return 2
    prices = load_prices()
    regions = {stack.region for stack in read_stacks(arguments.cdk_out)}
    for region in sorted(regions - set(prices["regions"])):
        print(f"{region} is not in prices.yml: priced as {prices['fallback_region']}.")
    lines = estimate(arguments.cdk_out, prices)
    print(f"Idle cost per month in USD, list prices of {prices['date']}:")
    for environment, environment_lines in groupby(lines, key=lambda line: line.environment):
        print(f"\n{environment}")
        for component, component_lines in groupby(
            environment_lines, key=lambda line: line.component
        ):
            for line in component_lines:
                cost = "unpriced" if line.monthly is None else f"{line.monthly:9.2f}"
                print(f"  {component:<12} {_label(line.item):<40} {line.quantity:>6g} {cost:>9}")
    print()
    for environment, total in totals(lines).items():
        print(f"  {environment:<40} total {total:9.2f}")
    print(f"  {'all environments':<40} total {sum(totals(lines).values()):9.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
