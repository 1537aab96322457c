"""The live source on real parts: a file played as live, a loopback MJPEG camera killed and restarted, a camera
that hangs (the watchdog), an unreachable camera at start."""

from __future__ import annotations

import threading
import time

import pytest

from etiquette_cv.io.live import LiveFrame, LiveSettings, LiveSource, Outage, OutageStarted, SourceEnded
from etiquette_cv.io.video import VideoError

from live_parts import camera, free_port, write_video  # noqa: F401 - camera is a fixture


def _collect(source: LiveSource, stop: threading.Event, seconds: float, on_item=None) -> list:
    items: list = []
    timer = threading.Timer(seconds, stop.set)
    timer.start()
    for item in source.items(stop):
        items.append(item)
        if on_item is not None:
            on_item(item)
    timer.cancel()
    return items


def test_a_file_played_as_live_is_paced_to_real_time_stamped_with_the_clock_and_looped(tmp_path):
    video = write_video(tmp_path / "v.mp4", n_frames=25, fps=25.0)  # 1 s
    source = LiveSource(video, LiveSettings(analysis_fps=10.0, loop=True))
    t0 = time.time()
    items = _collect(source, threading.Event(), 2.6)
    frames = [i for i in items if isinstance(i, LiveFrame)]
    assert not [i for i in items if not isinstance(i, LiveFrame)]  # looping is seamless: no outage, no end
    times = [f.epoch_s for f in frames]
    assert abs(times[0] - t0) < 0.5 and times == sorted(times)
    # 2.6 s of real time at 10 frames/s, across two loops of a 1 s file: paced, not read as fast as possible
    assert 20 <= source.stats.frames_sampled <= 28, source.stats
    assert 55 <= source.stats.frames_decoded <= 70, source.stats  # 25 frames/s
    gaps = [b - a for a, b in zip(times, times[1:])]
    assert min(gaps) > 0.05 and len(frames) + source.stats.frames_dropped == source.stats.frames_sampled


def test_a_file_played_once_ends(tmp_path):
    video = write_video(tmp_path / "v.mp4", n_frames=10, fps=25.0)
    source = LiveSource(video, LiveSettings(analysis_fps=25.0))
    items = _collect(source, threading.Event(), 5.0)
    assert isinstance(items[-1], SourceEnded)
    # every frame was handed on or, when the consumer was slow to wake, dropped and counted
    handed = sum(isinstance(i, LiveFrame) for i in items)
    assert handed >= 1 and handed + source.stats.frames_dropped == 10 == source.stats.frames_sampled


def test_an_unreachable_camera_at_start_is_a_one_line_error():
    url = f"http://127.0.0.1:{free_port()}/camera.mjpg"
    with pytest.raises(VideoError, match=f"^{url}: cannot open the stream or camera$"):
        LiveSource(url, LiveSettings(open_timeout_s=2.0))


@pytest.mark.slow
def test_a_killed_camera_is_reconnected_and_its_outage_measured_to_within_a_second(camera):
    cam = camera()
    cam.start()
    source = LiveSource(cam.url, LiveSettings(analysis_fps=5.0, watchdog_s=5.0))
    stop = threading.Event()
    marks: dict[str, float] = {}

    def chaos() -> None:
        time.sleep(2.0)
        marks["killed"] = cam.kill()
        time.sleep(3.0)
        marks["up"] = cam.start()
        time.sleep(2.5)
        stop.set()

    threading.Thread(target=chaos, daemon=True).start()
    items = _collect(source, stop, 30.0)
    outages = [i for i in items if isinstance(i, Outage)]
    assert len(outages) == 1 and any(isinstance(i, OutageStarted) for i in items)
    down_s = marks["up"] - marks["killed"]
    assert abs(outages[0].duration_s - down_s) < 1.0, (outages[0].duration_s, down_s)
    after = [i.epoch_s for i in items if isinstance(i, LiveFrame) and i.epoch_s > outages[0].end_epoch_s - 1e-6]
    assert len(after) >= 5  # frames flow again after the reconnection
    assert source.stats.connections == 2


@pytest.mark.slow
def test_the_watchdog_restarts_a_camera_that_hangs(camera):
    cam = camera(stall_after_s=1.5)  # every connection stops sending after 1.5 s but stays open
    cam.start()
    source = LiveSource(cam.url, LiveSettings(analysis_fps=5.0, watchdog_s=1.0, open_timeout_s=3.0))
    items = _collect(source, threading.Event(), 6.0)
    outages = [i for i in items if isinstance(i, Outage)]
    assert len(outages) >= 2
    assert all("watchdog" in o.reason for o in outages)
    assert all(0.9 < o.duration_s < 2.5 for o in outages), [o.duration_s for o in outages]
