"""Compare this run's features with the previous run's, column by column.

Two statistics per feature:

- Population stability index (PSI) over ten bins cut at the previous values' deciles.
  A common rule of thumb reads PSI < 0.1 as stable, 0.1-0.2 as a moderate shift and
  > 0.2 as a significant shift; a feature above ``PSI_DRIFT_THRESHOLD`` is flagged.
- The two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical
  distribution functions (0 = identical, 1 = disjoint). Reported, not used for flagging.

Both are computed with numpy only, so the report needs nothing beyond the training image.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

PSI_BINS = 10
PSI_DRIFT_THRESHOLD = 0.2
# Empty bins would make PSI infinite; treat them as holding a tiny share instead.
_MIN_SHARE = 1e-4

Column = npt.NDArray[np.float64]


def population_stability_index(expected: Column, actual: Column, bins: int = PSI_BINS) -> float:
    """PSI of ``actual`` against ``expected``, binned at the quantiles of ``expected``."""
    if len(expected) == 0 or len(actual) == 0:
        raise ValueError("PSI needs at least one value on each side")
    # Inner cut points only: the outer bins stay open so out-of-range values still count.
    cuts = np.unique(np.quantile(expected, np.linspace(0.0, 1.0, bins + 1)[1:-1]))
    expected_share = _bin_shares(expected, cuts)
    actual_share = _bin_shares(actual, cuts)
    return float(np.sum((actual_share - expected_share) * np.log(actual_share / expected_share)))


def ks_statistic(first: Column, second: Column) -> float:
    """The two-sample Kolmogorov-Smirnov statistic (maximum distance between the ECDFs)."""
    if len(first) == 0 or len(second) == 0:
        raise ValueError("the KS statistic needs at least one value on each side")
    first_sorted, second_sorted = np.sort(first), np.sort(second)
    points = np.concatenate([first_sorted, second_sorted])
    first_cdf = np.searchsorted(first_sorted, points, side="right") / len(first_sorted)
    second_cdf = np.searchsorted(second_sorted, points, side="right") / len(second_sorted)
    return float(np.max(np.abs(first_cdf - second_cdf)))


def compare_features(
    current: Mapping[str, Column], previous: Mapping[str, Column] | None
) -> dict[str, Any]:
    """The drift part of the report: overall status and per-feature statistics.

    ``previous`` is None when there is no earlier feature table to compare with.
    """
    features: dict[str, Any] = {}
    drifted: list[str] = []
    for name, values in current.items():
        entry: dict[str, Any] = {
            "current": _summary(values),
            "previous": None,
            "psi": None,
            "ks_statistic": None,
            "drifted": False,
        }
        if previous is not None and name in previous:
            psi = population_stability_index(previous[name], values)
            entry |= {
                "previous": _summary(previous[name]),
                "psi": round(psi, 6),
                "ks_statistic": round(ks_statistic(previous[name], values), 6),
                "drifted": psi > PSI_DRIFT_THRESHOLD,
            }
            if entry["drifted"]:
                drifted.append(name)
        features[name] = entry

    if previous is None:
        status = "no_previous_version"
    else:
        status = "drift_detected" if drifted else "no_drift"
    return {
        "status": status,
        "psi_threshold": PSI_DRIFT_THRESHOLD,
        "drifted_features": drifted,
        "new_features": [] if previous is None else sorted(set(current) - set(previous)),
        "removed_features": [] if previous is None else sorted(set(previous) - set(current)),
        "features": features,
    }


def _bin_shares(values: Column, cuts: Column) -> Column:
    # Bins are closed on the right, (cut[i-1], cut[i]], so values equal to a constant
    # previous column fall in the first bin and any larger value lands in another one.
    counts = np.bincount(np.searchsorted(cuts, values, side="left"), minlength=len(cuts) + 1)
    return np.clip(counts / len(values), _MIN_SHARE, None)


def _summary(values: Column) -> dict[str, float | int]:
    return {
        "rows": len(values),
        "mean": round(float(np.mean(values)), 6),
        "std": round(float(np.std(values)), 6),
    }
