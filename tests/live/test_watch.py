"""``watch`` on real parts: a loopback MJPEG camera killed and restarted mid-run (the store shows the gap, to within
a second), and the watch process itself killed with SIGKILL and restarted (nothing committed lost, nothing counted
twice, the killed run's frames graded)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from etiquette_cv.io.tracks import read_tracks
from etiquette_cv.pipeline.camera_file import load_camera_file
from etiquette_cv.pipeline.watch import NOT_RUNNING, CameraWatcher, WatchSettings
from etiquette_cv.pipeline.watch_run import watch_cameras
from etiquette_cv.pipeline.windows import WindowSettings
from etiquette_cv.store import open_store

from live_parts import REPO, RECEPTION, camera, write_camera_file  # noqa: F401 - camera is a fixture

GRADED = ("finding", "visit", "state")


def _assert_no_overlap(spans, what: str, slack_s: float = 1e-3) -> None:
    spans = sorted(spans, key=lambda e: e.start_epoch_s)
    for a, b in zip(spans, spans[1:]):
        assert b.start_epoch_s >= a.end_epoch_s - slack_s, f"{what} overlap: {a} / {b}"


@pytest.mark.slow
def test_watch_reconnects_after_the_camera_is_killed_and_stores_the_gap(tmp_path, camera):
    cam = camera()
    cam.start()
    camfile = load_camera_file(write_camera_file(tmp_path / "cam.yaml", cam.url))
    store_path = tmp_path / "branch.db"
    settings = WatchSettings(store=str(store_path), work_dir=tmp_path / "work", windows=WindowSettings(4.0, 1.0),
                             watchdog_s=5.0, backoff_max_s=0.5, keep_tracks=True)
    watcher = CameraWatcher(camfile, settings)
    stop = threading.Event()
    marks: dict[str, float] = {}

    def chaos() -> None:
        time.sleep(5.0)
        marks["killed"] = cam.kill()
        time.sleep(3.0)
        marks["up"] = cam.start()
        time.sleep(4.0)
        stop.set()

    threading.Thread(target=chaos, daemon=True).start()
    summary = watcher.run(stop)
    with open_store(store_path) as store:
        events = store.events(branch="test-branch", camera="reception")
    gaps = [e for e in events if e.kind == "gap"]
    assert len(gaps) == 1, gaps
    gap = gaps[0]
    assert abs(gap.duration_s - (marks["up"] - marks["killed"])) < 1.0, (gap.duration_s, marks)
    assert abs(gap.start_epoch_s - marks["killed"]) < 1.0 and "dropped" in gap.payload["reason"]
    coverage = [e for e in events if e.kind == "coverage"]
    _assert_no_overlap(coverage + [gap], "coverage and gap")
    assert sum(c.duration_s for c in coverage if c.end_epoch_s <= gap.start_epoch_s) > 2.0
    assert sum(c.duration_s for c in coverage if c.start_epoch_s >= gap.end_epoch_s) > 1.5
    assert all(c.payload["frames_analysed"] >= 1 and "analysis_fps" in c.payload for c in coverage)
    # the outage is no coverage: nothing graded reaches into it
    graded = [e for e in events if e.kind in GRADED]
    assert graded and summary.windows_graded >= 2 and summary.outages == 1
    # the windows' tracks, kept on request: each with the wall-clock time of its t = 0, the outage between them
    kept = sorted((tmp_path / "work").rglob("kept/*.jsonl.gz"))
    assert len(kept) >= 3
    heads = [read_tracks(p) for p in kept]
    starts = [t.header.start_epoch_s + t.frames[0].timestamp_s for t in heads if t.frames]
    assert min(starts) < gap.start_epoch_s < gap.end_epoch_s <= max(starts) + 1e-3
    reaching = [e for e in graded if e.kind == "finding" and (e.end_epoch_s or 0) > gap.start_epoch_s + 0.2
                and e.start_epoch_s < gap.end_epoch_s]
    assert all(e.verdict in ("not_assessable", "info", "not_applicable") for e in reaching), reaching
    assert not [e for e in graded if e.kind != "finding" and e.start_epoch_s < gap.end_epoch_s - 0.2 and
                (e.end_epoch_s or e.start_epoch_s) > gap.start_epoch_s + 0.2]


def _watch_cmd(camfile: Path, store: Path, work: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "etiquette_cv.cli", "watch", str(camfile), "--store", str(store), "--work-dir",
            str(work), "--window-s", "5", "--margin-s", "1", *extra]


def _wait_for(predicate, timeout_s: float) -> None:
    t0 = time.monotonic()
    while not predicate():
        assert time.monotonic() - t0 < timeout_s, "timed out"
        time.sleep(0.2)


@pytest.mark.slow
def test_kill_9_loses_at_most_a_second_and_a_restart_counts_nothing_twice(tmp_path):
    camfile = write_camera_file(tmp_path / "cam.yaml", str(RECEPTION), extra="loop: true\n")
    store, work = tmp_path / "branch.db", tmp_path / "work"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen(_watch_cmd(camfile, store, work), env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)

    def events(*kinds):
        if not store.exists():
            return []
        with open_store(store) as s:
            return s.events(kinds=list(kinds) or None)

    try:
        _wait_for(lambda: any(e.kind == "state" for e in events("state")), 40.0)  # a window is graded
        time.sleep(2.5)  # into the next window
        killed = time.time()
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
    before = {e.key: e for e in events()}
    covers = [e.end_epoch_s for e in before.values() if e.kind == "coverage"]
    # seen once in many runs: no coverage stored before the kill; say what was stored and what the run logged
    assert covers, (sorted(e.kind for e in before.values()), proc.stderr.read()[-3000:])
    last_cover = max(covers)
    assert killed - last_cover < 1.5, killed - last_cover  # coverage committed about every second
    leftovers = sorted(p.name for p in work.rglob("*.jsonl"))
    assert leftovers  # the killed window's tracks are on disk

    # restart, and stop it with SIGTERM once it has analysed again: it stops cleanly, grading its open window
    rerun = subprocess.Popen(_watch_cmd(camfile, store, work), env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
    try:
        _wait_for(lambda: any(e.start_epoch_s > killed for e in events("coverage")), 40.0)
        time.sleep(3.0)
        rerun.send_signal(signal.SIGTERM)
        _, err = rerun.communicate(timeout=60)
    finally:
        if rerun.poll() is None:
            rerun.kill()
    assert rerun.returncode == 0, err[-2000:]
    assert not list(work.rglob("*.jsonl")) and not list(work.rglob("*.state.json"))  # all graded, nothing left
    after = {e.key: e for e in events()}
    assert all(after.get(k) == e for k, e in before.items())  # nothing committed was lost or changed
    down = [e for e in after.values() if e.kind == "gap" and e.payload["reason"] == NOT_RUNNING]
    assert len(down) == 1
    spans = [e for e in after.values() if e.kind in ("coverage", "gap")]
    _assert_no_overlap(spans, "coverage and gap")
    covered_to = max(e.end_epoch_s for e in spans if e.end_epoch_s <= down[0].start_epoch_s + 1e-3)
    assert abs(covered_to - down[0].start_epoch_s) < 1e-3  # coverage, then the gap: no hole, no overlap
    assert killed - down[0].start_epoch_s < 1.0  # the killed run lost less than its last second
    # the clerk's stretches of each state never overlap (a window stored twice would)
    clerk = [e for e in after.values() if e.kind == "state" and e.person.startswith("clerk")]
    for state in {e.rule_id for e in clerk}:
        _assert_no_overlap([e for e in clerk if e.rule_id == state], f"clerk {state}")
    # the killed run's window was graded on restart, and its frames after its last committed second (if any came
    # after that commit) became coverage
    assert "frames a previous run left unstored" in err
    recovered = [e for e in after.values() if e.kind == "coverage" and e.payload["reason"].startswith("recovered")]
    assert len(recovered) <= 1 and all(abs(e.start_epoch_s - last_cover) < 1e-3 for e in recovered)


@pytest.mark.slow
def test_two_cameras_watched_as_threads_fill_one_store(tmp_path):
    paths = [write_camera_file(tmp_path / f"cam{i}.yaml", str(RECEPTION), camera=f"counter-{i}", extra="loop: true\n")
             for i in (1, 2)]
    store = tmp_path / "branch.db"
    settings = WatchSettings(store=str(store), work_dir=tmp_path / "work", windows=WindowSettings(4.0, 1.0),
                             run_for_s=7.0)
    summaries = watch_cameras(paths, settings)
    assert sorted(s.camera for s in summaries) == ["counter-1", "counter-2"]
    assert all(s.frames_analysed > 5 for s in summaries)
    with open_store(store) as s:
        for name in ("counter-1", "counter-2"):
            coverage = s.events(camera=name, kinds=["coverage"])
            assert sum(c.duration_s for c in coverage) > 3.0
            _assert_no_overlap(coverage, f"{name} coverage")
            assert s.events(camera=name, kinds=["state"])  # its windows were graded


@pytest.mark.slow
def test_a_visit_longer_than_the_windows_is_stored_whole(tmp_path):
    """The reception sample played as live with 4 s windows (1 s margin): its first customer stays 18 s within 2 m,
    across four window ends. The visit is stored once, with its departure and its handling time (the truth's
    crossings in and out, from the sample's sidecar); before, a visit was owned by the window where it started
    and stored cut at that window's end."""
    import json

    truth = json.loads(RECEPTION.with_suffix("").with_suffix(".gt.json").read_text())
    crossings = {e["direction"]: e["t_s"] for e in truth["events"]
                 if e["type"] == "cross_2m" and e["person"] == "customer1"}
    camfile = load_camera_file(write_camera_file(tmp_path / "cam.yaml", str(RECEPTION)))
    store_path = tmp_path / "branch.db"
    settings = WatchSettings(store=str(store_path), work_dir=tmp_path / "work", windows=WindowSettings(4.0, 1.0))
    watcher = CameraWatcher(camfile, settings)
    stop = threading.Event()
    threading.Timer(crossings["out"] + 6.0, stop.set).start()
    watcher.run(stop)
    with open_store(store_path) as store:
        visits = store.events(kinds=["visit"])
    first = [v for v in visits if v.start_epoch_s - visits[0].start_epoch_s < 1.0]
    assert len(first) == 1, visits
    handling = crossings["out"] - crossings["in"]
    assert first[0].end_epoch_s is not None and abs(first[0].value - handling) < 1.5, (first[0], handling)

    # every finding stored with an evidence time has its keyframe, written from the frames kept while watching
    import cv2
    with open_store(store_path) as store:
        findings = [e for e in store.events(kinds=["finding"]) if e.payload.get("evidence_t_s") is not None]
    assert findings
    with_image = [e for e in findings if e.payload.get("evidence_image")]
    assert len(with_image) >= 0.9 * len(findings), [(e.rule_id, e.payload.get("evidence_t_s")) for e in findings]
    size = cv2.VideoCapture(str(RECEPTION)).read()[1].shape
    for e in with_image:
        img = cv2.imread(e.payload["evidence_image"])
        assert img is not None and img.shape == size
