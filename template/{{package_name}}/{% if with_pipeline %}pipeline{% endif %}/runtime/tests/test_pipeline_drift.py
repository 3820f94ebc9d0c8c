"""Drift statistics: PSI, the KS statistic and the total variation distance behave as their
definitions say, on numeric and categorical features."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline_jobs.drift import (
    categorical_psi,
    compare_features,
    ks_statistic,
    population_stability_index,
    total_variation_distance,
)

RNG_SEED = 7


@pytest.fixture
def normal() -> np.ndarray:
    return np.random.default_rng(RNG_SEED).normal(0.0, 1.0, 2000)


def test_identical_samples_have_zero_psi_and_ks(normal):
    assert population_stability_index(normal, normal.copy()) == pytest.approx(0.0, abs=1e-12)
    assert ks_statistic(normal, normal.copy()) == 0.0


def test_psi_grows_with_the_shift(normal):
    small = population_stability_index(normal, normal + 0.1)
    large = population_stability_index(normal, normal + 1.0)
    assert small < 0.1 < 0.2 < large


def test_disjoint_samples_have_ks_one():
    assert ks_statistic(np.array([1.0, 2.0, 3.0]), np.array([10.0, 11.0])) == 1.0


def test_ks_matches_a_hand_computed_value():
    # ECDFs of {1,2,3,4} and {3,4,5,6} differ most at x=2 (0.5 vs 0.0).
    assert ks_statistic(np.array([1.0, 2.0, 3.0, 4.0]), np.array([3.0, 4.0, 5.0, 6.0])) == 0.5


def test_constant_previous_values_do_not_break_psi():
    previous = np.full(50, 3.0)
    assert population_stability_index(previous, previous.copy()) == pytest.approx(0.0, abs=1e-12)
    assert population_stability_index(previous, previous + 1.0) > 1.0


def test_compare_lists_new_and_removed_features(normal):
    report = compare_features(
        {"kept": normal, "added": normal}, {"kept": normal + 2.0, "dropped": normal}
    )
    assert report["status"] == "drift_detected"
    assert report["drifted_features"] == ["kept"]
    assert report["new_features"] == ["added"]
    assert report["removed_features"] == ["dropped"]
    assert report["features"]["added"]["previous"] is None


def test_compare_without_previous_reports_current_statistics_only():
    report = compare_features({"x": np.array([1.0, 2.0, 3.0])}, None)
    assert report["status"] == "no_previous_version"
    assert report["features"]["x"]["current"] == {"rows": 3, "mean": 2.0, "std": 0.816497}


def categories(**counts: int) -> np.ndarray:
    """A categorical column holding each category the given number of times."""
    return np.array([name for name, count in counts.items() for _ in range(count)], dtype=str)


def test_the_same_mix_of_categories_has_zero_psi_and_distance():
    before = categories(north=30, south=20, east=10)
    after = categories(east=5, north=15, south=10)  # the same shares, half the rows

    assert categorical_psi(before, after) == pytest.approx(0.0, abs=1e-12)
    assert total_variation_distance(before, after) == 0.0


def test_total_variation_distance_is_the_share_of_rows_that_moved():
    # 0.5/0.5 against 0.8/0.2: 30% of the rows changed category.
    assert total_variation_distance(categories(a=5, b=5), categories(a=8, b=2)) == pytest.approx(
        0.3
    )
    assert total_variation_distance(categories(a=3), categories(b=3)) == 1.0


def test_a_shifted_mix_and_a_new_category_drift():
    before = categories(north=50, south=50)
    report = compare_features(
        {
            "district": categories(north=48, south=52),
            "condition": categories(good=50, bad=30, unknown=20),
        },
        {"district": before, "condition": categories(good=80, bad=20)},
    )

    assert report["drifted_features"] == ["condition"]
    district, condition = report["features"]["district"], report["features"]["condition"]
    assert district["kind"] == "categorical"
    assert district["psi"] < 0.01
    assert district["ks_statistic"] is None
    assert condition["tv_distance"] == pytest.approx(0.3)
    assert condition["current"] == {"rows": 100, "categories": 3, "top": "good", "top_share": 0.5}
    assert condition["previous"]["categories"] == 2


def test_the_threshold_decides_what_drifted(normal):
    mix = {"district": categories(north=60, south=40)}
    previous = {"district": categories(north=50, south=50), "x": normal}
    current = {**mix, "x": normal + 0.1}
    psi = compare_features(current, previous)["features"]["district"]["psi"]
    assert 0.01 < psi < 0.2

    strict = compare_features(current, previous, threshold=0.01)

    assert strict["psi_threshold"] == 0.01
    assert strict["drifted_features"] == ["district", "x"]
    assert compare_features(current, previous)["drifted_features"] == []


def test_a_feature_that_changed_kind_is_listed_not_compared(normal):
    report = compare_features({"code": categories(a=3, b=2)}, {"code": normal})

    assert report["retyped_features"] == ["code"]
    assert report["features"]["code"]["psi"] is None
    assert report["status"] == "no_drift"
