"""Drift statistics: PSI and the KS statistic behave as their definitions say."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline_jobs.drift import compare_features, ks_statistic, population_stability_index

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
