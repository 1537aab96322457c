"""Windowed grading's parts: window boundaries, what a killed run leaves and how it is picked up, verdicts cut by
the end of what was seen, the analysis-rate controller, and ``watch``'s one-line errors for bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from typer.testing import CliRunner

from etiquette_cv.core import FramePoses
from etiquette_cv.io.tracks import TracksFooter, TracksHeader, TracksWriter
from etiquette_cv.pipeline.watch import RateController
from etiquette_cv.pipeline.windows import (WindowBuffer, WindowSettings, _cut_at, leftover_segments,
                                           window_path, write_state)
from etiquette_cv.rules.findings import Finding, ReviewResult, Severity, Verdict

from live_parts import RECEPTION, free_port, write_camera_file


def test_windows_end_on_wall_clock_multiples_and_need_twice_the_margin():
    w = WindowSettings(300.0, 60.0)
    assert w.window_end_epoch_s(1_700_000_123.4) == 1_700_000_400.0
    assert w.window_end_epoch_s(1_700_000_400.0) == 1_700_000_700.0  # a boundary opens the next window
    with pytest.raises(ValueError, match="at least twice the margin"):
        WindowSettings(100.0, 60.0)


def _frames(ts):
    return [FramePoses(frame_index=i, timestamp_s=t, image_width=64, image_height=48, persons=[])
            for i, t in enumerate(ts)]


def test_a_window_buffer_hands_over_each_window_with_its_margins_and_ownership_tiling_time():
    buf = WindowBuffer(WindowSettings(10.0, 2.0), end_s=10.0)
    cuts = []
    for f in _frames([k * 0.5 for k in range(60)]):   # 0-29.5 s
        if f.timestamp_s >= buf.end_s:
            cuts.append(buf.close(False))
        buf.add(f)
    cuts.append(buf.close(True))
    assert [(c.own_from_s, c.own_to_s) for c in cuts] == [(-math.inf, 8.0), (8.0, 18.0), (18.0, math.inf)]
    assert [(c.frames[0].timestamp_s, c.frames[-1].timestamp_s) for c in cuts] == [(0.0, 9.5), (6.0, 19.5),
                                                                                   (16.0, 29.5)]
    assert cuts[1].owns(8.0) and not cuts[1].owns(18.0) and cuts[2].owns(1e9)


def test_a_killed_runs_windows_are_found_joined_and_resumed_from_the_stored_point(tmp_path):
    origin = 1_800_000_000.25
    header = TracksHeader("cam", 64, 48, 10.0, 10.0, "full", None, start_epoch_s=origin)
    with TracksWriter(window_path(tmp_path, origin, 0), header) as w:
        for f in _frames([0.0, 0.1, 0.2]):
            w.write_frame(f)
        w.close(TracksFooter(3, 3, True))
    killed = TracksWriter(window_path(tmp_path, origin, 1), header)  # no footer: the run was killed
    for f in _frames([0.3, 0.4]):
        killed.write_frame(f)
    killed._fh.flush()
    write_state(tmp_path, origin, 0.15)
    write_state(tmp_path, origin - 100.0, 3.0)  # a state whose files are gone: removed
    (left,) = leftover_segments(tmp_path)
    assert not (tmp_path / f"{round((origin - 100.0) * 1000)}.state.json").exists()
    assert left.origin_epoch_s == origin and left.stored_until_s == 0.15
    assert [f.timestamp_s for f in left.tracks.frames] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert math.isclose(left.last_epoch_s, origin + 0.4)
    assert sorted(p.name for p in left.files) == sorted(
        [window_path(tmp_path, origin, 0).name, window_path(tmp_path, origin, 1).name,
         f"{round(origin * 1000)}.state.json"])
    killed.close()


def _finding(verdict: Verdict, start: float, end: float) -> Finding:
    return Finding(rule_id="R", clause="c", wording_zh="w", title_en="t", title_zh="t", rule_kind="bow_expected",
                   severity=Severity.MINOR, verdict=verdict, start_s=start, end_s=end, person="clerk")


def test_a_missed_verdict_whose_time_ran_past_the_last_frame_is_not_assessable():
    result = ReviewResult("cam", 10.0, 100, 64, 48, findings=[
        _finding(Verdict.MISSED, 7.0, 12.0), _finding(Verdict.MISSED, 2.0, 5.0), _finding(Verdict.MET, 8.0, 9.0)])
    _cut_at(result, 10.0)
    assert [f.verdict for f in result.findings] == [Verdict.NOT_ASSESSABLE, Verdict.MISSED, Verdict.MET]
    assert "before this occasion's time to comply ran out" in result.findings[0].note


def test_the_rate_is_lowered_to_its_floor_under_load_and_raised_back_with_room():
    now = [0.0]
    rc = RateController(10.0, 2.0, every_s=1.0, clock=lambda: now[0])
    rates = []
    for _ in range(10):  # fully busy
        now[0] += 1.0
        rates.append(rc.observe(1.0, 0))
    assert rates[0] == pytest.approx(7.5) and rc.fps == 2.0 and all(np.diff([r for r in rates if r]) < 0)
    now[0] += 1.0
    assert rc.observe(0.1, 5) is None  # at the floor and dropping: stays (frames are dropped, and recorded)
    for _ in range(20):  # idle
        now[0] += 1.0
        rc.observe(0.1, 5)
    assert rc.fps == 10.0


@pytest.mark.parametrize("make, expect", [
    (lambda tmp: write_camera_file(tmp / "cam.yaml", f"http://127.0.0.1:{free_port()}/x.mjpg"),
     "cannot open the stream or camera"),
    (lambda tmp: write_camera_file(tmp / "cam.yaml", str(RECEPTION), extra="colour: red\n"),
     "cam.yaml: colour: unknown key"),
])
def test_watch_bad_input_is_a_one_line_error_with_exit_2(tmp_path, make, expect):
    from etiquette_cv.cli import app

    result = CliRunner().invoke(app, ["watch", str(make(tmp_path)), "--store", str(tmp_path / "s.db")])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and expect in lines[0], result.output


def test_watch_refuses_a_store_it_cannot_open(tmp_path):
    from etiquette_cv.cli import app

    (tmp_path / "notadb").write_text("this is not a database, " * 100)
    camfile = write_camera_file(tmp_path / "cam.yaml", str(RECEPTION))
    result = CliRunner().invoke(app, ["watch", str(camfile), "--store", str(tmp_path / "notadb")])
    assert result.exit_code == 2 and "notadb" in result.output and len(result.output.strip().splitlines()) == 1


def test_two_camera_files_with_the_same_name_are_refused(tmp_path):
    from etiquette_cv.pipeline.camera_file import CameraFileError
    from etiquette_cv.pipeline.watch import WatchSettings
    from etiquette_cv.pipeline.watch_run import check_cameras

    a = write_camera_file(tmp_path / "a.yaml", str(RECEPTION))
    b = write_camera_file(tmp_path / "b.yaml", str(RECEPTION))
    with pytest.raises(CameraFileError, match="b.yaml: camera 'reception' of branch 'test-branch' is also in a.yaml"):
        check_cameras([a, b], WatchSettings(store=str(tmp_path / "s.db"), work_dir=tmp_path / "w"))


# --- a visit still open when its window closes -------------------------------------------------------------------
def _visit_frames(inside_from_s: float, inside_to_s: float | None, end_s: float, step_s: float = 0.5):
    """Frames of one customer standing 5 m from the counter, within 1 m of it from ``inside_from_s`` until
    ``inside_to_s`` (None: still there at ``end_s``), on the reception sample's calibration."""
    from etiquette_cv.core import NUM_LANDMARKS, PersonPose
    from etiquette_cv.geometry.calibration import load_calibration
    from etiquette_cv.geometry.polyline import side_normal
    from etiquette_cv.geometry.solver import solve_camera

    cal = load_calibration(RECEPTION.parents[1] / "calibration" / "reception.yaml")
    edge = np.asarray(cal.counter.edge_m, float)
    mid = edge.mean(axis=0)
    out = side_normal(mid, edge, cal.counter.customer_side)
    frames = []
    for i, t in enumerate(np.arange(0.0, end_s, step_s)):
        inside = t >= inside_from_s and (inside_to_s is None or t < inside_to_s)
        xy = mid + out * (1.0 if inside else 5.0)
        zeros = np.zeros(NUM_LANDMARKS, np.float32)
        p = PersonPose(track_id=7, role="customer", image_xy_px=np.zeros((NUM_LANDMARKS, 2), np.float32),
                       image_z=zeros, world_xyz_m=np.zeros((NUM_LANDMARKS, 3), np.float32), visibility=zeros,
                       presence=zeros, floor_xy_m=xy.astype(np.float32), floor_source="feet")
        frames.append(FramePoses(frame_index=i, timestamp_s=float(t), image_width=1280, image_height=720,
                                 persons=[p]))
    return frames, cal, solve_camera(cal)


def test_a_window_leaves_a_visit_still_open_at_its_end_to_a_later_window():
    """A 5-minute window closing while a customer is still at the counter: it owns occasions only up to that
    visit's start and keeps the frames from a margin before it, so a later window stores the visit whole. Before,
    every visit longer than the margin that crossed a window's end was stored cut (handling time and 站送 lost)."""
    from etiquette_cv.pipeline.windows import WindowBuffer, open_visit_start_s
    from etiquette_cv.rules.rulebook import load_rulebook

    rb = load_rulebook()

    def close(inside_to_s, settings=WindowSettings(300.0, 60.0, max_defer_s=1800.0), stored_until_s=-math.inf):
        frames, cal, camera = _visit_frames(200.0, inside_to_s, 300.0)
        buffer = WindowBuffer(settings, 300.0)
        buffer.own_from_s = stored_until_s
        for f in frames:
            buffer.add(f)
        cut = buffer.close(False, None, open_visit_start_s(frames, cal, camera, rb))
        return cut, buffer

    cut, buffer = close(None)
    assert 195.0 <= cut.own_to_s <= 200.0  # the crossing into 2 m, interpolated between samples
    assert buffer.keep_from_s == pytest.approx(cut.own_to_s - 60.0) and buffer.frames[0].timestamp_s >= 135.0
    assert buffer.own_from_s == cut.own_to_s and buffer.end_s == 600.0
    # a visit that ended before the window's end does not hold it back
    assert close(250.0)[0].own_to_s == 240.0
    # nor one open longer than max_defer_s, nor does ownership move back before what is stored
    assert close(None, WindowSettings(300.0, 60.0, max_defer_s=30.0))[0].own_to_s == 240.0
    assert close(None, stored_until_s=220.0)[0].own_to_s == 220.0
