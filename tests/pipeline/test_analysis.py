"""Customer approaches as the clerk rules see them: time in the calibration's waiting zone is waiting, not coming to
the counter, however close the zone lies to it; a customer whose id changed at the counter makes one visit; a visit
belongs to the station the customer stayed at."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from etiquette_cv.events import approaches
from etiquette_cv.geometry.calibration import load_calibration
from etiquette_cv.geometry.polyline import distance_to_polyline_m, points_in_polygon
from etiquette_cv.pipeline.analysis import (Coming, approach_distance_m, approach_station, arrivals_across_id_changes,
                                            stitch_approaches)
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


def _track(tid: int, t0: float, xy: np.ndarray, dt: float = 0.1) -> CustomerSeries:
    t = t0 + np.arange(len(xy)) * dt
    dist = np.asarray(distance_to_polyline_m(xy, CAL.counter.edge_m, CAL.counter.customer_side), float)
    return CustomerSeries(tid, t, np.arange(len(xy)), xy, dist, np.ones(len(xy)))


def _approaches(cs: CustomerSeries, station: str = "A"):
    return [replace(a, station=station) for a in approaches(cs.track_id, cs.t_s, cs.distance_m, NEAR, HYST, 0.5, 2.0)]


def test_a_customer_whose_id_changed_at_the_counter_makes_one_visit():
    """Track 1 walks to the counter and is lost there at 6 s; track 2 is first seen 0.3 s later 0.2 m away and
    walks off: one visit, arriving with track 1 and leaving with track 2. Somebody first seen 3 m away, or 5 s
    later, or at the other station, is somebody else."""
    come = np.column_stack([np.linspace(0.0, 0.0, 60), np.linspace(3.5, 0.5, 60)])
    go = np.column_stack([np.linspace(0.2, 0.2, 40), np.linspace(0.5, 3.5, 40)])
    first, then = _track(1, 0.0, come), _track(2, 6.2, go)
    appr = _approaches(first) + _approaches(then)
    assert len(appr) == 2 and appr[0].leave_s is None and appr[1].arrive_s is None
    joined = stitch_approaches(appr, [first, then], gap_s=2.0, dist_m=1.0)
    assert len(joined) == 1
    visit = joined[0]
    assert visit.track_id == 1 and visit.arrive_s == appr[0].arrive_s and visit.leave_s == appr[1].leave_s
    for other in (_track(2, 6.2, go + [3.0, 0.0]), _track(2, 11.0, go)):
        appr = _approaches(first) + _approaches(other)
        assert len(stitch_approaches(appr, [first, other], gap_s=2.0, dist_m=1.0)) == 2
    appr = _approaches(first) + _approaches(then, station="B")
    assert len(stitch_approaches(appr, [first, then], gap_s=2.0, dist_m=1.0)) == 2


def _distances(*tracks: CustomerSeries) -> dict[int, np.ndarray]:
    return {cs.track_id: approach_distance_m(cs, CAL, NEAR, HYST) for cs in tracks}


def test_a_visit_first_seen_inside_takes_its_arrival_across_the_id_change():
    """Tuning scene s301: track 1 waits in the waiting zone, walks toward the counter and is lost 0.3 s after
    stepping out of the zone within 2 m; track 2 is first seen 0.4 s later 0.3 m on, already within 2 m. Its visit
    arrives when track 1 came within 2 m outside the zone. A passer-by walking along the counter 3.2 m out who is
    lost where track 2 begins gives no arrival; nor does a track lost 3 s before."""
    wait = np.tile([[-3.2, 1.6]], (30, 1))
    walk = np.column_stack([np.linspace(-3.2, -2.6, 8), np.linspace(1.6, 1.3, 8)])
    first = _track(1, 0.0, np.vstack([wait, walk]))
    then = _track(2, 4.1, np.column_stack([np.linspace(-2.3, -1.0, 30), np.linspace(1.2, 0.5, 30)]))
    appr = [replace(a, station="A") for a in approaches(2, then.t_s, approach_distance_m(then, CAL, NEAR, HYST), NEAR,
                                                        HYST, 0.5, 2.0)]
    assert [a.arrive_s for a in appr] == [None]
    (visit,) = arrivals_across_id_changes(appr, [first, then], _distances(first, then), Coming(NEAR, HYST), gap_s=2.0,
                                          dist_m=1.0)
    outside_zone = approach_distance_m(first, CAL, NEAR, HYST) < NEAR
    assert outside_zone.any()
    assert visit.arrive_s == pytest.approx(float(first.t_s[np.flatnonzero(outside_zone)[0]]), abs=0.1)
    past = _track(3, 0.0, np.column_stack([np.linspace(-6.0, -2.4, 37), np.full(37, 3.2)]))
    past.floor_xy_m[-1], past.distance_m[-1] = [-2.4, 1.9], 1.9    # its last point jumped onto the customer
    late = _track(4, 0.0, np.vstack([wait, walk])[:10])
    for other in (past, late):
        (visit,) = arrivals_across_id_changes(appr, [other, then], _distances(other, then), Coming(NEAR, HYST),
                                              gap_s=2.0, dist_m=1.0)
        assert visit.arrive_s is None


def test_a_customer_who_left_is_not_continued_by_the_next_one():
    """Track 1 comes and goes (its visit has a leaving); track 2 first seen at the counter a moment later is a new
    visit even where track 1 stood."""
    come_go = np.column_stack([np.zeros(80), np.concatenate([np.linspace(3.5, 0.5, 40), np.linspace(0.5, 3.5, 40)])])
    first = _track(1, 0.0, come_go)
    then = _track(2, 8.1, np.tile([[0.0, 0.5]], (30, 1)))
    appr = _approaches(first) + _approaches(then)
    assert appr[0].leave_s is not None
    assert len(stitch_approaches(appr, [first, then], gap_s=2.0, dist_m=1.0)) == 2


def test_a_customer_who_walks_past_one_station_to_the_other_is_the_other_stations_visit():
    """Tuning t114: first seen within 2 m beside station B, walking along the counter to station A and staying there;
    one floor point (a hips estimate) 0.7 m too close to the counter beside B. The visit is A's."""
    walk = np.column_stack([np.linspace(1.6, -0.8, 25), np.linspace(1.3, 0.6, 25)])
    stay = np.tile([[-0.9, 0.55]], (30, 1))
    xy = np.vstack([walk, stay])
    xy[4] = [1.15, 0.3]                                    # the glitch: nearer the counter than anything else
    cs = _series(xy)
    [a] = approaches(1, cs.t_s, approach_distance_m(cs, CAL, NEAR, HYST), NEAR, HYST, 0.5, 1.0, 2.0)
    assert cs.distance_m[4] == pytest.approx(np.nanmin(cs.distance_m))
    assert approach_station(cs, a, CAL) == "A"
    assert approach_station(cs, replace(a, last_inside_s=0.8), CAL) == "B"  # only the part beside B: B's


def test_points_filled_into_a_gap_do_not_choose_the_station():
    """Tuning t103: a customer coming to station A at the clip's end, her last approach points filled into a gap of
    her track (interpolated between two measured points); counted in the median they tip it over to B."""
    walk = np.column_stack([np.linspace(1.0, -0.4, 20), np.linspace(1.8, 0.7, 20)])
    stay = np.tile([[-0.5, 0.55]], (8, 1))
    filled = np.tile([[0.6, 0.4]], (14, 1))                 # nearer the counter, beside B
    cs = _series(np.vstack([walk, stay, filled]))
    [a] = approaches(1, cs.t_s, approach_distance_m(cs, CAL, NEAR, HYST), NEAR, HYST, 0.5, 1.0, 2.0)
    assert approach_station(cs, a, CAL) == "B"                                  # every point counted
    measured = np.r_[np.ones(28, bool), np.zeros(14, bool)]
    assert approach_station(replace(cs, measured=measured), a, CAL) == "A"
    assert approach_station(replace(cs, measured=np.zeros(42, bool)), a, CAL) == "B"   # none measured: all count


class _CentreCamera:
    """Projects every floor point to the image centre (only the image box then tells the edge)."""

    def project(self, xyz):
        return np.tile([480.0, 270.0], (len(np.atleast_2d(xyz)), 1))


def _frames_with(track_id: int, xy: np.ndarray, boxes: np.ndarray, t0: float = 0.0, dt: float = 0.1,
                 end_s: float = 30.0):
    """Frames of one customer (960 x 540 image) at floor points ``xy`` with image boxes ``boxes``, then empty frames
    until ``end_s``."""
    from etiquette_cv.core import FramePoses, PersonPose
    frames = []
    n = len(xy)
    for i, t in enumerate(np.arange(0.0, end_s, dt)):
        persons = []
        k = int(round((t - t0) / dt))
        if 0 <= k < n:
            z = np.zeros((33, 2), np.float32)
            persons.append(PersonPose(track_id=track_id, role="customer", image_xy_px=z, image_z=np.zeros(33),
                                      world_xyz_m=np.zeros((33, 3)), visibility=np.ones(33), presence=np.ones(33),
                                      floor_xy_m=np.asarray(xy[k], np.float32), floor_source="feet",
                                      box_xyxy_px=np.asarray(boxes[k], np.float32)))
        frames.append(FramePoses(i, float(t), 960, 540, persons))
    return frames


def test_a_customer_who_walks_out_of_the_view_within_2_m_leaves_when_last_seen():
    """A side camera: the customer walks to the counter, then along it out of the image's left edge while 1 m from
    it; the visit ends when they were last seen. One standing still at the counter at the image's edge, then lost,
    and one still in view when the video ends, have no leaving."""
    from etiquette_cv.pipeline.analysis import ended_out_of_view
    come = np.column_stack([np.zeros(40), np.linspace(3.5, 1.0, 40)])
    along = np.column_stack([np.linspace(0.0, -2.0, 20), np.full(20, 1.0)])
    xy = np.vstack([come, along])
    boxes = np.array([[400.0 - 25 * max(0, i - 40), 100, 460.0 - 25 * max(0, i - 40), 400] for i in range(60)])
    boxes[:, 0] = np.maximum(boxes[:, 0], 2.0)
    boxes[:, 2] = np.maximum(boxes[:, 2], 30.0)
    cs = _track(7, 0.0, xy)
    (a,) = _approaches(cs)
    assert a.leave_s is None
    frames = _frames_with(7, xy, boxes)
    rules = dict(edge_px=6.0, max_gap_s=2.0, walk_window_s=1.0, walk_min_m=0.3)
    (out,) = ended_out_of_view([a], frames, _CentreCamera(), [cs], **rules)
    assert out.left_view and out.leave_s == pytest.approx(5.9) and out.leave_s == a.last_inside_s

    still = np.vstack([come, np.tile([[0.0, 1.0]], (20, 1))])
    cs_still = _track(7, 0.0, still)
    (b,) = _approaches(cs_still)
    edge_boxes = np.tile([2.0, 100, 60, 400], (60, 1))
    (out,) = ended_out_of_view([b], _frames_with(7, still, edge_boxes), _CentreCamera(), [cs_still], **rules)
    assert out.leave_s is None and not out.left_view
    (out,) = ended_out_of_view([a], _frames_with(7, xy, boxes, end_s=6.5), _CentreCamera(), [cs], **rules)
    assert out.leave_s is None   # the video ends 0.6 s after: not known to have left
