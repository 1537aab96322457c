"""Customer approaches as the clerk rules see them: time in the calibration's waiting zone is waiting, not coming to
the counter, however close the zone lies to it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from etiquette_cv.events import approaches
from etiquette_cv.geometry.calibration import load_calibration
from etiquette_cv.geometry.polyline import distance_to_polyline_m, points_in_polygon
from etiquette_cv.pipeline.analysis import approach_distance_m
from etiquette_cv.posture.customers import CustomerSeries

# a two-station counter along x (-2.33 … 2.29 m) with its waiting zone beyond its left end, 1.3-2.4 m out
CAL = load_calibration(Path(__file__).resolve().parents[2] / "benchmarks/people_set/tuning/"
                       "t111_oblique_left_two_stations.yaml")
NEAR, HYST = 2.0, 0.15


def _series(xy: np.ndarray, dt: float = 0.1) -> CustomerSeries:
    t = np.arange(len(xy)) * dt
    dist = np.asarray(distance_to_polyline_m(xy, CAL.counter.edge_m, CAL.counter.customer_side), float)
    return CustomerSeries(1, t, np.arange(len(xy)), xy, dist, np.ones(len(xy)))


def test_points_in_polygon():
    square = np.array([[0, 0], [2, 0], [2, 1], [0, 1]], float)
    pts = np.array([[1, 0.5], [3, 0.5], [-0.1, 0.5], [1, 1.5], [np.nan, 0.5]])
    assert points_in_polygon(pts, square).tolist() == [True, False, False, False, False]


def test_a_customer_waiting_within_2_m_arrives_when_they_leave_the_waiting_zone():
    """5 s standing in the waiting zone 1.9 m from the counter's end, then 2 s walking to the counter: without the
    zone the visit would start at once; with it, when the customer steps out of the zone (x > -2.831 m)."""
    wait = np.tile([[-3.2, 1.6]], (50, 1))
    walk = np.column_stack([np.linspace(-3.2, -1.5, 21), np.linspace(1.6, 0.5, 21)])
    cs = _series(np.vstack([wait, walk]))
    assert cs.distance_m[0] < NEAR                               # the waiting spot is within 2 m of the counter
    plain = approaches(1, cs.t_s, cs.distance_m, NEAR, HYST, 0.5, 2.0)
    assert plain[0].arrive_s is None                             # "first seen already within 2 m"
    (a,) = approaches(1, cs.t_s, approach_distance_m(cs, CAL, NEAR, HYST), NEAR, HYST, 0.5, 2.0)
    left_zone_s = float(cs.t_s[np.flatnonzero(cs.floor_xy_m[:, 0] > -2.831)[0]])
    assert a.arrive_s == pytest.approx(left_zone_s, abs=0.1)


def test_without_a_waiting_zone_the_distance_is_unchanged():
    zones = {k: v for k, v in CAL.zones.items() if k != "waiting"}
    cs = _series(np.tile([[-3.2, 1.6]], (10, 1)))
    assert np.array_equal(approach_distance_m(cs, replace(CAL, zones=zones), NEAR, HYST), cs.distance_m)
