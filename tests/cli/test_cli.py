"""The `etiquette` CLI: exit codes and one-line errors for bad input; results kept when input ends early."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import write_cfr_video
from etiquette_cv.io.tracks import read_tracks


SRC = str(Path(__file__).resolve().parents[2] / "src")


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Run the CLI in a fresh interpreter (as a user would), with this checkout's package first on the path."""
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.run([sys.executable, "-m", "etiquette_cv.cli", *args], capture_output=True, text=True,
                          timeout=600, env=env)


def error_lines(proc: subprocess.CompletedProcess) -> list[str]:
    return [line for line in proc.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("make, expect", [
    (lambda p: None, "no such file"),
    (lambda p: p.write_bytes(b""), "empty file"),
    (lambda p: p.write_text("not a video\n" * 100), "not a video"),
])
def test_pose_bad_video_is_one_line_error_exit_2(tmp_path, make, expect):
    video = tmp_path / "in.mp4"
    make(video)
    proc = run_cli("pose", str(video), "--out", str(tmp_path / "t.jsonl"))
    assert proc.returncode == 2
    lines = error_lines(proc)
    assert len(lines) == 1 and "in.mp4" in lines[0] and expect in lines[0], proc.stderr


def test_pose_calibration_for_another_image_size_is_rejected(tmp_path):
    video = write_cfr_video(tmp_path / "v.avi", n_frames=5, fourcc="MJPG")
    cal = Path(__file__).resolve().parents[2] / "calibration" / "reception.yaml"
    proc = run_cli("pose", str(video), "--out", str(tmp_path / "t.jsonl"), "--calibration", str(cal))
    assert proc.returncode == 2
    lines = error_lines(proc)
    assert len(lines) == 1 and "reception.yaml" in lines[0] and "1280x720" in lines[0] and "160x120" in lines[0]


@pytest.mark.slow
def test_pose_nobody_found_warns_and_exits_1_with_tracks_written(tmp_path):
    video = write_cfr_video(tmp_path / "empty.avi", n_frames=10, size=(320, 240), fourcc="MJPG")
    out = tmp_path / "t.jsonl"
    proc = run_cli("pose", str(video), "--out", str(out))
    assert proc.returncode == 1, proc.stderr
    assert "nobody was found" in proc.stderr and "empty.avi" in proc.stderr
    tracks = read_tracks(out)
    assert tracks.complete and len(tracks.frames) == 4 and all(not f.persons for f in tracks.frames)


@pytest.mark.slow
def test_pose_truncated_video_writes_what_was_read_and_exits_3(tmp_path):
    video = write_cfr_video(tmp_path / "full.avi", n_frames=60, size=(320, 240), fourcc="MJPG")
    cut = tmp_path / "cut.avi"
    data = video.read_bytes()
    cut.write_bytes(data[: len(data) // 2])
    out = tmp_path / "t.jsonl"
    proc = run_cli("pose", str(cut), "--out", str(out))
    assert proc.returncode == 3, proc.stderr
    lines = error_lines(proc)
    assert any("cut.avi" in line and "truncated" in line for line in lines), proc.stderr
    tracks = read_tracks(out)
    assert not tracks.complete and "truncated" in tracks.footer.problem
    assert 3 <= len(tracks.frames) < 24


def test_help_lists_commands():
    proc = run_cli("--help")
    assert proc.returncode == 0 and "pose" in proc.stdout


@pytest.mark.slow
def test_pose_killed_mid_run_resumes_where_it_stopped(tmp_path):
    """kill -9 during a pose run, then --resume: the frames written before the kill are kept, the rest of the
    video is analysed once, people found after the restart get new ids, and the file ends complete."""
    repo = Path(__file__).resolve().parents[2]
    out = tmp_path / "t.jsonl"
    args = ["pose", str(repo / "sample_videos" / "reception.mp4"), "--out", str(out), "--calibration",
            str(repo / "calibration" / "reception.yaml"), "--end", "6", "--quiet-every", "1"]
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.Popen([sys.executable, "-m", "etiquette_cv.cli", *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import time
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if out.exists() and out.read_text(encoding="utf-8").count('"frame"') >= 15:
            break
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    first = read_tracks(out)
    assert first.footer is None and 15 <= len(first.frames) < 60
    old_ids = {p.track_id for f in first.frames for p in f.persons}
    done = run_cli(*args, "--resume")
    assert done.returncode == 0, done.stderr
    back = read_tracks(out)
    idx = [f.frame_index for f in back.frames]
    assert back.complete and idx == sorted(set(idx)) and idx[: len(first.frames)] == [f.frame_index for f in
                                                                                      first.frames]
    assert len(idx) == 61 and back.frames[-1].timestamp_s == pytest.approx(6.0, abs=0.05)
    new_ids = {p.track_id for f in back.frames[len(first.frames):] for p in f.persons}
    assert new_ids and min(new_ids) > max(old_ids)
    again = run_cli(*args, "--resume")   # a complete file: nothing to do, nothing changed
    assert again.returncode == 0 and len(read_tracks(out).frames) == 61
