"""Analysis of one video's pose frames: each station's clerk posture and bends, every customer's distance to the
counter and approaches, with every setting taken from the rulebook."""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..core import FramePoses, PersonPose, clerk_name
from ..events import Approach, approaches, crossing_time, detect_bends
from ..geometry.calibration import Calibration
from ..geometry.camera import CameraModel
from ..geometry.floor import standing_may_leave_view, station_out_of_view
from ..geometry.polyline import points_in_polygon, side_normal
from ..posture.clerk import at_image_edge, measure_clerk
from ..posture.customers import CustomerSeries, measure_customers
from ..posture.walking import clerk_path_track_ids, floor_path
from ..rules.observations import ClerkObservations, Observations
from ..rules.rulebook import Rulebook
from ..service_times import WALK_SPEED_M_S


def approach_station(cs: CustomerSeries, approach: Approach, cal: Calibration) -> str | None:
    """The station a customer came to: the one nearest to where they stood in the half of the approach they spent
    nearest the counter (the median floor point of those samples). Not the single closest sample: a customer who
    walked in past one station to the other had one floor point 0.7 m too close to the counter beside the first
    (tuning t114), which gave the visit to the station they walked past."""
    if not cal.clerk_stations:
        return None
    w = (cs.t_s >= approach.first_inside_s) & (cs.t_s <= approach.last_inside_s) & np.isfinite(cs.distance_m) \
        & np.all(np.isfinite(cs.floor_xy_m), axis=1)
    if cs.measured is not None and (w & cs.measured).any():
        w &= cs.measured   # points filled into a gap moved the median to the other station (tuning t103)
    if not w.any():
        return cal.clerk_stations[0].name
    near = w & (cs.distance_m <= np.median(cs.distance_m[w]))
    xy = np.median(cs.floor_xy_m[near], axis=0)
    return min(cal.clerk_stations, key=lambda st: float(np.linalg.norm(st.floor_m - xy))).name


def approach_distance_m(cs: CustomerSeries, cal: Calibration, near_m: float, hysteresis_m: float) -> np.ndarray:
    """A customer's distance to the counter (metres) as the approaches see it: in the calibration's ``waiting``
    zone they are waiting to be called, not coming to the counter, so there they count as outside the near distance
    (at the leaving threshold, ``near_m + hysteresis_m``) however close the zone lies; their arrival is when they
    come within ``near_m`` outside it."""
    zone = cal.zones.get("waiting")
    if zone is None or zone.floor_m is None or not len(cs.t_s):
        return cs.distance_m
    waiting = points_in_polygon(cs.floor_xy_m, zone.floor_m)
    return np.where(waiting, np.fmax(cs.distance_m, near_m + hysteresis_m), cs.distance_m)


def _floor_at(cs: CustomerSeries, t_s: float) -> np.ndarray:
    """A customer's known floor point (metres) nearest in time to ``t_s`` (NaN when none is known)."""
    ok = np.all(np.isfinite(cs.floor_xy_m), axis=1)
    if not ok.any():
        return np.array([np.nan, np.nan])
    k = np.flatnonzero(ok)
    return cs.floor_xy_m[k[int(np.argmin(np.abs(cs.t_s[k] - t_s)))]]


def _continues(a: Approach, a_end_xy: np.ndarray, b: Approach, b_series: CustomerSeries, gap_s: float,
               dist_m: float, walk_m_s: float) -> bool:
    """Whether approach ``b`` (another track, first seen inside) continues approach ``a`` (lost inside, last seen
    at ``a_end_xy``): same station, starting within ``gap_s`` of ``a``'s end, near where ``a`` was last seen."""
    gap = b.first_inside_s - a.last_inside_s
    if b.track_id == a.track_id or b.arrive_s is not None or b.station != a.station \
            or not -gap_s <= gap <= gap_s or b.last_inside_s <= a.last_inside_s:
        return False
    d = float(np.linalg.norm(_floor_at(b_series, b.first_inside_s) - a_end_xy))
    return d <= dist_m + walk_m_s * max(gap, 0.0)


def stitch_approaches(appr: list[Approach], customers: list[CustomerSeries], gap_s: float, dist_m: float,
                      walk_m_s: float = WALK_SPEED_M_S) -> list[Approach]:
    """Approaches of one customer whose track id changed at the counter joined into one: an approach whose track
    was lost inside the near distance (no leaving) continued by another track's approach first seen inside it (no
    arrival) at the same station, starting at most ``gap_s`` seconds after (or while the lost track was still seen)
    and at most ``dist_m`` plus ``walk_m_s`` per second of the gap (metres) from where the lost one was last. The
    joined approach keeps the first track's id and arrival and takes the last one's leaving."""
    series = {cs.track_id: cs for cs in customers}
    todo = sorted(appr, key=lambda a: a.first_inside_s)
    out: list[Approach] = []
    while todo:
        a = todo.pop(0)
        last = series[a.track_id]            # the track the (joined) approach ends on
        while a.leave_s is None and float(last.t_s[-1]) <= a.last_inside_s + 1e-6:
            end_xy = _floor_at(last, a.last_inside_s)
            b = next((b for b in todo
                      if _continues(a, end_xy, b, series[b.track_id], gap_s, dist_m, walk_m_s)), None)
            if b is None:
                break
            todo.remove(b)
            a = replace(a, leave_s=b.leave_s, last_inside_s=b.last_inside_s,
                        min_distance_m=min(a.min_distance_m, b.min_distance_m), end_track_id=b.track_id)
            last = series[b.track_id]
        out.append(a)
    return out


@dataclass(frozen=True)
class Coming:
    """How a lost track is judged to have been coming to the counter (rulebook ``measurement.customer``)."""

    near_m: float
    hysteresis_m: float
    window_s: float = 0.5
    """Its last ``window_s`` seconds (medians) …"""
    min_m: float = 0.3
    """… nearer the counter by at least this (metres) than a second before."""


def arrivals_across_id_changes(appr: list[Approach], customers: list[CustomerSeries], distances: dict[int, np.ndarray],
                               coming: Coming, gap_s: float, dist_m: float, walk_m_s: float = WALK_SPEED_M_S
                               ) -> list[Approach]:
    """Approaches first seen inside the near distance (no arrival) whose customer was, a moment before, another
    track take their arrival across the id change: that track ended at most ``gap_s`` seconds before the approach
    began, at most ``dist_m`` plus ``walk_m_s`` per second of the gap (metres) from where it begins, has no
    approach of its own, and was coming to the counter (:func:`_coming`; a passer-by walking along the counter who
    hid the customer was not: tuning t114). The arrival is that track's own last crossing of ``near_m``
    when it was lost inside, else the crossing between its last sample and the approach's first (tuning scene s301:
    a customer lost for 0.4 s as she walked from the waiting zone to the counter came back as a new track already
    within 2 m, and her visit had no arrival to time 站接 from). ``distances``: each track's approach distance
    (:func:`approach_distance_m`, metres) by track id."""
    series = {cs.track_id: cs for cs in customers}
    owned = {a.track_id for a in appr} | {a.end_track_id for a in appr if a.end_track_id is not None}
    loose = {tid: cs for tid, cs in series.items() if tid not in owned}
    out = []
    for a in appr:
        if a.arrive_s is None and loose:
            arrive = _arrival_before(a, series[a.track_id], loose, distances, coming, gap_s, dist_m, walk_m_s)
            a = a if arrive is None else replace(a, arrive_s=arrive)
        out.append(a)
    return out


def _coming(cs: CustomerSeries, dist: np.ndarray, known: np.ndarray, c: Coming) -> bool:
    """Whether a track was coming to the counter when it was lost: within the near distance over its last
    ``window_s`` (median), in the waiting zone (its approach distance held at the leaving threshold), or nearer by
    ``min_m`` over that window than over the same window a second before (medians: the last sample of a track lost
    behind somebody may be theirs, tuning t114)."""
    k = int(known[-1])
    age = cs.t_s[k] - cs.t_s[known]
    late, early = known[age < c.window_s], known[(age >= 1.0) & (age < 1.0 + c.window_s)]
    if float(np.median(dist[late])) < c.near_m or (dist[k] == c.near_m + c.hysteresis_m and cs.distance_m[k] < dist[k]):
        return True
    return bool(len(early)) and float(np.median(cs.distance_m[early]) - np.median(cs.distance_m[late])) >= c.min_m


def _arrival_before(a: Approach, me: CustomerSeries, loose: dict[int, CustomerSeries],
                    distances: dict[int, np.ndarray], coming: Coming, gap_s: float, dist_m: float, walk_m_s: float
                    ) -> float | None:
    """The arrival (seconds) of approach ``a`` on the nearest track of ``loose`` that ended just before it near where
    it begins (:func:`arrivals_across_id_changes`), None when there is none or it never crossed in."""
    near_m = coming.near_m
    start_xy = _floor_at(me, a.first_inside_s)
    k0 = int(np.argmin(np.abs(me.t_s - a.first_inside_s)))
    first = float(distances[me.track_id][k0])   # its distance when first seen
    best = None
    for cs in loose.values():
        if float(cs.t_s[-1]) > a.first_inside_s:
            continue
        dist = distances[cs.track_id]
        known = np.flatnonzero(np.isfinite(dist) & np.all(np.isfinite(cs.floor_xy_m), axis=1))
        if not len(known):
            continue
        k = int(known[-1])
        gap = a.first_inside_s - float(cs.t_s[k])
        d = float(np.linalg.norm(cs.floor_xy_m[k] - start_xy))
        if gap <= gap_s and d <= dist_m + walk_m_s * gap and (best is None or d < best[0]) \
                and _coming(cs, dist, known, coming):
            best = (d, cs, dist, known)
    if best is None:
        return None
    _, cs, dist, known = best
    k = int(known[-1])
    if dist[k] >= near_m:   # lost outside: crossed in while unseen
        if not np.isfinite(first):
            return a.first_inside_s
        return crossing_time(float(cs.t_s[k]), float(dist[k]), a.first_inside_s, first, near_m)
    outside = [int(i) for i in known if dist[i] >= near_m]
    if not outside:
        return None
    i = outside[-1]
    j = int(known[known > i][0])
    return crossing_time(float(cs.t_s[i]), float(dist[i]), float(cs.t_s[j]), float(dist[j]), near_m)


def _leaving_view(p: PersonPose, camera: CameraModel, width_px: int, height_px: int, edge_px: float) -> bool:
    """Whether a person is at the edge of the view: their image box within ``edge_px`` pixels of the border, or
    their floor point (their feet) projecting outside the image or within ``edge_px`` of its border."""
    if at_image_edge(p, width_px, height_px, edge_px):
        return True
    if p.floor_xy_m is None or not np.all(np.isfinite(p.floor_xy_m)):
        return False
    u, v = (float(c) for c in np.asarray(camera.project(np.array([[*p.floor_xy_m, 0.0]]))).reshape(-1)[:2])
    return not (edge_px < u < width_px - 1 - edge_px and edge_px < v < height_px - 1 - edge_px)


def _walked_m(cs: CustomerSeries | None, t_s: float, window_s: float) -> float:
    """How far (metres) a customer's floor point moved in the ``window_s`` seconds up to ``t_s`` (0 when unknown)."""
    if cs is None:
        return 0.0
    ok = np.isfinite(cs.floor_xy_m).all(axis=1) & (cs.t_s <= t_s + 1e-6) & (cs.t_s >= t_s - window_s - 1e-6)
    if ok.sum() < 2:
        return 0.0
    pts = cs.floor_xy_m[ok]
    return float(np.linalg.norm(pts[-1] - pts[0]))


def ended_out_of_view(appr: list[Approach], frames: list[FramePoses], camera: CameraModel,
                      customers: list[CustomerSeries], edge_px: float, max_gap_s: float, walk_window_s: float,
                      walk_min_m: float) -> list[Approach]:
    """Approaches whose customer was last seen inside the near distance walking (at least ``walk_min_m`` metres in
    the last ``walk_window_s`` seconds) at the edge of the view (box or feet within ``edge_px`` pixels of the image
    border, or the feet outside it), and not again for longer than ``max_gap_s`` seconds before the frames end:
    they walked out of the view, so the visit ends when they were last seen (``leave_s``, ``left_view``). A side
    camera sees the counter's end at the image's edge, and customers leaving that way never crossed 2 m in view
    (tuning scene set s305/s306: every handling time unknown). A customer standing still at the counter with their
    feet out of the picture, then lost, is not taken to have left."""
    if not frames:
        return appr
    series = {cs.track_id: cs for cs in customers}
    end_s = frames[-1].timestamp_s
    last: dict[int, tuple[FramePoses, PersonPose]] = {}
    for f in frames:
        for p in f.persons:
            last[p.track_id] = (f, p)
    out = []
    for a in appr:
        tid = a.end_track_id if a.end_track_id is not None else a.track_id
        if a.leave_s is None and tid in last:
            f, p = last[tid]
            if end_s - f.timestamp_s > max_gap_s and abs(f.timestamp_s - a.last_inside_s) < 1e-6 \
                    and _leaving_view(p, camera, f.image_width, f.image_height, edge_px) \
                    and _walked_m(series.get(tid), a.last_inside_s, walk_window_s) >= walk_min_m:
                a = replace(a, leave_s=a.last_inside_s, left_view=True)
        out.append(a)
    return out


def customer_approaches(frames: list[FramePoses], cal: Calibration, camera: CameraModel, rb: Rulebook
                        ) -> tuple[list[CustomerSeries], list[Approach]]:
    """Every customer's distance series (metres) and their approaches within the rulebook's near distance (not
    counting time in the ``waiting`` zone, see :func:`approach_distance_m`), each assigned to a station, with the
    approaches of one customer whose track id changed at the counter joined (:func:`stitch_approaches`)."""
    customers = measure_customers(frames, camera, cal.counter)
    appr = []
    near, hysteresis = rb.near_m, rb.measure("customer", "hysteresis_m")
    distances = {cs.track_id: approach_distance_m(cs, cal, near, hysteresis) for cs in customers}
    for cs in customers:
        for a in approaches(cs.track_id, cs.t_s, distances[cs.track_id], near, hysteresis,
                            rb.measure("customer", "min_inside_s"), rb.measure("customer", "max_gap_s"),
                            rb.measure("customer", "rejoin_s"), rb.measure("customer", "hidden_rejoin_s")):
            appr.append(replace(a, station=approach_station(cs, a, cal)))
    appr = stitch_approaches(appr, customers, rb.measure("customer", "stitch_gap_s"),
                             rb.measure("customer", "stitch_m"))
    coming = Coming(near, hysteresis, rb.measure("customer", "coming_window_s"), rb.measure("customer", "coming_m"))
    appr = arrivals_across_id_changes(appr, customers, distances, coming, rb.measure("customer", "stitch_gap_s"),
                                      rb.measure("customer", "stitch_m"))
    return customers, ended_out_of_view(appr, frames, camera, customers, rb.measure("customer", "frame_edge_px"),
                                        rb.measure("customer", "max_gap_s"), rb.measure("customer", "walk_out_s"),
                                        rb.measure("customer", "walk_out_m"))


def analyse(frames: list[FramePoses], cal: Calibration, camera: CameraModel, rb: Rulebook, source: str,
            duration_s: float, problem: str | None = None) -> Observations:
    """Posture and events of one video's pose frames (from a tracks file or a live run): each station's clerk
    (posture series, sit/stand changes, bends), every customer's distance to the counter and their approaches
    within the rulebook's near distance (metres), each assigned to a station."""
    posture, bow, grading = rb.posture_settings(), rb.bow_settings(), rb.grading_settings()
    walking = rb.walking_settings()
    clerks = []
    for station in cal.clerk_stations:
        away = station_out_of_view(camera, station.floor_m, (grading.seated_shoulder_m, grading.standing_shoulder_m))
        seated_away = station_out_of_view(camera, station.floor_m, (grading.seated_shoulder_m,))
        may_leave = standing_may_leave_view(camera, station.floor_m, grading.standing_shoulder_m,
                                            grading.standing_reach_m)
        facing = side_normal(station.floor_m, cal.counter.edge_m, cal.counter.customer_side)
        series = measure_clerk(frames, camera, station.floor_m, facing, posture, cal.counter.edge_m,
                               cal.counter.height_m, station=station.name, counter_top_px=cal.counter_top_px)
        bends = detect_bends(series.t_s, series.flexion_deg, series.stance == "stand", series.wrist_asymmetry_m, bow,
                             series.flexion_uncertainty_deg, series.hands_ahead_m, series.hands_on_counter)
        path = floor_path(frames, clerk_path_track_ids(frames, station.name, walking), walking)
        clerks.append(ClerkObservations(station.name, clerk_name(station.name, len(cal.clerk_stations)), series,
                                        series.stance_changes, bends, out_of_view=away,
                                        may_stand_out_of_view=may_leave, seated_out_of_view=seated_away, path=path))
    customers, appr = customer_approaches(frames, cal, camera, rb)
    h = frames[0].image_height if frames else cal.image_height
    w = frames[0].image_width if frames else cal.image_width
    return Observations(source=source, duration_s=duration_s, analysed_frames=len(frames), image_width=w,
                        image_height=h, clerks=clerks, customers=customers, approaches=appr, problem=problem)
