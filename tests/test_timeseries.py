"""The one helper that splits series into runs."""

from __future__ import annotations

import numpy as np

from etiquette_cv.timeseries import finite_runs, label_runs, true_runs


def test_label_runs_of_objects_and_numbers():
    assert label_runs(np.array(["sit", "sit", "stand", "", "", "sit"], dtype=object)) == [(0, 2), (2, 3), (3, 5),
                                                                                            (5, 6)]
    assert label_runs(np.array([1, 1, 1])) == [(0, 3)]
    assert label_runs(np.array([])) == []


def test_true_runs():
    assert true_runs(np.array([False, True, True, False, True])) == [(1, 3), (4, 5)]
    assert true_runs(np.zeros(3, bool)) == []


def test_finite_runs_break_at_nan_and_at_long_gaps():
    t = np.array([0.0, 0.1, 0.2, 0.3, 1.5, 1.6, 1.7, 1.8])
    v = np.array([1.0, np.nan, 2.0, 3.0, 4.0, 5.0, np.nan, np.nan])
    assert finite_runs(t, v, max_gap_s=0.35) == [(0, 1), (2, 4), (4, 6)]
    assert finite_runs(t, v) == [(0, 1), (2, 6)]
