"""Drift detection: the KS statistic against scipy, and the report on clean and shifted data."""

import numpy as np
import pytest
from scipy.stats import ks_2samp

from dlcourse.monitoring import drift_report, ks_statistic


@pytest.mark.parametrize("seed", range(5))
def test_ks_statistic_matches_scipy(seed):
    rng = np.random.default_rng(seed)
    a = rng.integers(0, 5, size=int(rng.integers(1, 60))).astype(float)  # many ties
    b = rng.normal(size=int(rng.integers(1, 60)))
    assert ks_statistic(a, b) == pytest.approx(ks_2samp(a, b).statistic, abs=1e-12)
    assert ks_statistic(a, a) == 0.0


def test_report_is_quiet_on_clean_data_and_flags_a_shift():
    rng = np.random.default_rng(0)
    reference = rng.normal(size=(2000, 10))
    clean = drift_report(reference, rng.normal(size=(500, 10)))
    assert not clean.drifted
    shifted_batch = rng.normal(size=(500, 10))
    shifted_batch[:, 3] += 0.5
    report = drift_report(reference, shifted_batch)
    assert report.flagged.tolist() == [3]
    assert "1 of 10 features drifted" in str(report)


def test_constant_features_and_bad_shapes():
    report = drift_report(np.zeros((5, 2)), np.zeros((4, 2)))
    assert report.statistics.tolist() == [0.0, 0.0] and not report.drifted
    with pytest.raises(ValueError, match="same D"):
        drift_report(np.zeros((5, 2)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="non-empty"):
        ks_statistic(np.array([]), np.ones(2))
