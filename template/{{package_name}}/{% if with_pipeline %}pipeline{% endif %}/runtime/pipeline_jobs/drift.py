"""Compare this run's features with the previous run's, column by column.

A numeric feature (float values) gets two statistics:

- Population stability index (PSI) over ten bins cut at the previous values' deciles.
  A common rule of thumb reads PSI < 0.1 as stable, 0.1-0.2 as a moderate shift and
  > 0.2 as a significant shift; a feature above the threshold (``PSI_DRIFT_THRESHOLD``
  unless the config sets pipeline.drift_psi_threshold) is flagged.
- The two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical
  distribution functions (0 = identical, 1 = disjoint). Reported, not used for flagging.

A categorical feature (text values) gets two as well:

- PSI over the categories' shares (a category seen on one side only counts as a tiny share
  on the other), flagged by the same threshold.
- The total variation distance: half the summed gaps between the shares, the largest share
  of rows that changed category (0 = same mix, 1 = no category in common). Reported.

All are computed with numpy only, so the report needs nothing beyond the training image.
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


def category_shares(values: npt.NDArray[Any], categories: list[str]) -> npt.NDArray[np.float64]:
    """The share of ``values`` in each of ``categories``, in that order."""
    if len(values) == 0:
        raise ValueError("category shares need at least one value")
    labels, counts = np.unique(values.astype(str), return_counts=True)
    by_label = dict(zip(labels.tolist(), counts.tolist(), strict=True))
    return np.array([by_label.get(c, 0) for c in categories], dtype=np.float64) / len(values)


def categorical_psi(expected: npt.NDArray[Any], actual: npt.NDArray[Any]) -> float:
    """PSI of ``actual`` against ``expected`` over the categories of both."""
    categories = sorted(set(expected.astype(str).tolist()) | set(actual.astype(str).tolist()))
    expected_share = np.clip(category_shares(expected, categories), _MIN_SHARE, None)
    actual_share = np.clip(category_shares(actual, categories), _MIN_SHARE, None)
    return float(np.sum((actual_share - expected_share) * np.log(actual_share / expected_share)))


def total_variation_distance(first: npt.NDArray[Any], second: npt.NDArray[Any]) -> float:
    """Half the summed absolute gaps between the two sides' category shares."""
    categories = sorted(set(first.astype(str).tolist()) | set(second.astype(str).tolist()))
    gaps = category_shares(first, categories) - category_shares(second, categories)
    return float(np.sum(np.abs(gaps)) / 2)


def is_categorical(values: npt.NDArray[Any]) -> bool:
    """Whether a column's values are categories (text) rather than numbers."""
    return values.dtype.kind not in "fiu"


def compare_features(
    current: Mapping[str, npt.NDArray[Any]],
    previous: Mapping[str, npt.NDArray[Any]] | None,
    threshold: float = PSI_DRIFT_THRESHOLD,
) -> dict[str, Any]:
    """The drift part of the report: overall status and per-feature statistics. A column of
    numbers is a numeric feature, a column of text a categorical one; a feature whose kind
    changed since the previous run is listed as retyped, not compared.

    ``previous`` is None when there is no earlier feature table to compare with.
    """
    features: dict[str, Any] = {}
    drifted: list[str] = []
    retyped: list[str] = []
    for name, values in current.items():
        categorical = is_categorical(values)
        entry: dict[str, Any] = {
            "kind": "categorical" if categorical else "numeric",
            "current": _summary(values),
            "previous": None,
            "psi": None,
            "ks_statistic": None,
            "tv_distance": None,
            "drifted": False,
        }
        before = None if previous is None else previous.get(name)
        if before is not None and (len(before) == 0 or len(values) == 0):
            # A column with no value on one side has no distribution to compare.
            before = None
        if before is not None and is_categorical(before) != categorical:
            retyped.append(name)
        elif before is not None and categorical:
            psi = categorical_psi(before, values)
            entry |= {
                "previous": _summary(before),
                "psi": round(psi, 6),
                "tv_distance": round(total_variation_distance(before, values), 6),
                "drifted": psi > threshold,
            }
        elif before is not None:
            psi = population_stability_index(before, values)
            entry |= {
                "previous": _summary(before),
                "psi": round(psi, 6),
                "ks_statistic": round(ks_statistic(before, values), 6),
                "drifted": psi > threshold,
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
        "psi_threshold": threshold,
        "drifted_features": drifted,
        "retyped_features": retyped,
        "new_features": [] if previous is None else sorted(set(current) - set(previous)),
        "removed_features": [] if previous is None else sorted(set(previous) - set(current)),
        "features": features,
    }


def _bin_shares(values: Column, cuts: Column) -> Column:
    # Bins are closed on the right, (cut[i-1], cut[i]], so values equal to a constant
    # previous column fall in the first bin and any larger value lands in another one.
    counts = np.bincount(np.searchsorted(cuts, values, side="left"), minlength=len(cuts) + 1)
    return np.clip(counts / len(values), _MIN_SHARE, None)


def _summary(values: npt.NDArray[Any]) -> dict[str, Any]:
    """Rows and mean and standard deviation of numbers; rows, categories and the most
    frequent category (with its share) of text."""
    if len(values) == 0:
        return {"rows": 0}
    if is_categorical(values):
        labels, counts = np.unique(values.astype(str), return_counts=True)
        top = int(np.argmax(counts))
        return {
            "rows": len(values),
            "categories": len(labels),
            "top": str(labels[top]),
            "top_share": round(float(counts[top]) / len(values), 6),
        }
    return {
        "rows": len(values),
        "mean": round(float(np.mean(values)), 6),
        "std": round(float(np.std(values)), 6),
    }
