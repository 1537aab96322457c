"""A long file is graded window by window in bounded memory, with the findings of grading it at once.

The streams are synthetic camera days made here: the visit of ``reception_min`` (a customer comes, the clerk stands,
greets with a bow, sits, stands and bows as the customer leaves; 0–31 s at 10 fps) repeated every few minutes
with shifted times and new customer track ids, the counter empty between visits (frames at 2.5 fps, the adaptive
rate's pace when nothing happens). They are written with the project's tracks writer and read back streamed; the
windows are small (60 s, margins 15 s) so that a few minutes already hold several.

The memory test fails against the whole-file path: graded at once, the 32-minute file's peak is 2.5x the
8-minute file's (every frame in memory; 3.8 vs 9.2 MB), window by window 1.1x (2.1 vs 2.4 MB).
"""

from __future__ import annotations

import re
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest

from etiquette_cv.core import FramePoses
from etiquette_cv.geometry.calibration import load_calibration
from etiquette_cv.geometry.solver import solve_camera
from etiquette_cv.io.tracks import TracksFooter, TracksHeader, TracksWriter
from etiquette_cv.pipeline.review_run import grade_tracks_file, scene_and_service_times
from etiquette_cv.pipeline.windows import WindowSettings
from etiquette_cv.rules.rulebook import load_rulebook
from etiquette_cv.sim.landmarks import synthesize

from conftest import write_scenario_calibration

SCENARIO = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "reception_min.yaml"
VISIT_S = 31.0
"""The visit cut from the scenario: customer 1 comes and has left (customer 2 waits far off, beyond 2 m)."""
CYCLE_S = 240.0
"""A visit every four minutes (the comparison with grading at once)…"""
QUIET_CYCLE_S = 480.0
"""… or every eight (the memory test; 60 visits in 8 hours, as the throughput benchmark's synthetic day)."""
IDLE_FPS = 2.5
WINDOWS = WindowSettings(window_s=60.0, margin_s=15.0)
AT_ONCE = WindowSettings(window_s=1e6, margin_s=0.0)
"""Windows longer than any test file: graded at once."""
MEASURED_TOLERANCE = 0.2
"""Measured values (degrees, seconds) of windowed and whole-file grading agree to this (see ``_finding``)."""
MAX_GROWTH = 1.3
"""The long file's peak memory over the short one's, at most."""


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """Where to write the days, their calibration file, the visit's frames (10 fps) and the image size."""
    root = tmp_path_factory.mktemp("day")
    cal = root / "counter.calibration.yaml"
    sc, cam = write_scenario_calibration(SCENARIO, cal)
    visit = synthesize(sc, cam, noise_px=1.0, seed=1, times_s=[k / 10 for k in range(int(VISIT_S * 10))])
    return root, cal, visit, (cam.width, cam.height)


def write_day(path: Path, minutes: float, visit: list[FramePoses], size: tuple[int, int], cycle_s: float = CYCLE_S
              ) -> Path:
    """A tracks file of ``minutes``: a visit every ``cycle_s`` with new customer ids, nobody between."""
    header = TracksHeader("synthetic-day", size[0], size[1], 10.0, 10.0, "synthetic", None)
    index = 0
    with TracksWriter(path, header) as writer:
        for cycle in range(round(minutes * 60 / cycle_s)):
            t0 = cycle * cycle_s
            frames = [(f.persons, t0 + f.timestamp_s) for f in visit]
            frames += [([], t0 + VISIT_S + k / IDLE_FPS) for k in range(int((cycle_s - VISIT_S) * IDLE_FPS))]
            for persons, t in frames:
                persons = [p if p.role == "clerk" else replace(p, track_id=p.track_id + 10 * cycle) for p in persons]
                writer.write_frame(FramePoses(index, round(t, 3), size[0], size[1], persons))
                index += 1
        writer.close(TracksFooter(index, index, True))
    return path


def grade_file(path: Path, cal_path: Path, windows: WindowSettings):
    """A tracks file graded as ``review --tracks`` grades it: rules, then scene checks and service times."""
    cal = load_calibration(cal_path)
    camera = solve_camera(cal)
    rb = load_rulebook(None)
    graded = grade_tracks_file(path, cal, camera, rb, windows=windows)
    scene_and_service_times(graded, None, cal, camera, rb, None, None)
    return graded


def peak_mb(fn) -> float:
    """Peak Python-side memory (tracemalloc, MB) while ``fn`` runs."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def _finding(f) -> tuple:
    """A finding's identity and verdict, and its note without numbers: the standing upright reference is the median
    of every quiet standing frame of the analysed stretch, so a window that holds one of this day's two (identical)
    visits reads its bows 0.03-0.08° off the whole file's (the measured values are compared to a tolerance)."""
    return (f.rule_id, f.verdict, round(f.start_s, 2), round(f.end_s, 2), f.person, f.visit_id,
            f.evidence_frame_index, re.sub(r"[0-9.]+", "#", f.note or ""))


@pytest.mark.slow
def test_a_long_file_graded_in_windows_has_the_findings_of_grading_it_at_once(day):
    root, cal, visit, size = day
    path = write_day(root / "two_visits.jsonl", 8, visit, size)
    windowed, whole = grade_file(path, cal, WINDOWS), grade_file(path, cal, AT_ONCE)
    assert windowed.streamed is not None and windowed.streamed.windows == 8 and whole.streamed is None
    a, b = windowed.result, whole.result
    assert [_finding(f) for f in a.findings] == [_finding(f) for f in b.findings]
    assert [f.measured_value for f in a.findings] == \
        pytest.approx([f.measured_value for f in b.findings], abs=MEASURED_TOLERANCE)
    assert sum(f.rule_kind == "bow_expected" and f.verdict.value == "met" for f in a.findings) == 4  # 2 visits
    assert [(v.visit_id, v.customer, v.arrive_s, v.leave_s, v.wait_s) for v in a.visits] == \
        [(v.visit_id, v.customer, v.arrive_s, v.leave_s, v.wait_s) for v in b.visits]
    assert [(s.person, s.state, round(s.start_s, 2), round(s.end_s, 2)) for s in a.states] == \
        [(s.person, s.state, round(s.start_s, 2), round(s.end_s, 2)) for s in b.states]
    assert a.coverage.assessable_rules == b.coverage.assessable_rules
    assert a.coverage.not_assessable_rules == b.coverage.not_assessable_rules
    assert {k: round(v, 1) for k, v in a.coverage.visible_s.items()} == \
        {k: round(v, 1) for k, v in b.coverage.visible_s.items()}
    assert (a.analysed_frames, a.duration_s, a.problem) == (b.analysed_frames, b.duration_s, b.problem)
    assert [(s.name, len(s.t_s)) for s in a.series] == [(s.name, len(s.t_s)) for s in b.series]
    assert set(windowed.evidence) == {f.evidence_frame_index for f in a.findings if f.evidence_frame_index}


@pytest.mark.slow
def test_memory_of_grading_a_long_file_does_not_grow_with_its_length(day):
    root, cal, visit, size = day
    short = write_day(root / "eight_minutes.jsonl", 8, visit, size, QUIET_CYCLE_S)
    long = write_day(root / "thirty_two_minutes.jsonl", 32, visit, size, QUIET_CYCLE_S)
    grade_file(short, cal, WINDOWS)   # what loads once (scipy, caches) is not counted below
    short_mb = peak_mb(lambda: grade_file(short, cal, WINDOWS))
    long_mb = peak_mb(lambda: grade_file(long, cal, WINDOWS))
    assert long_mb <= MAX_GROWTH * short_mb, f"{long_mb:.1f} MB for 32 min vs {short_mb:.1f} MB for 8 min"
