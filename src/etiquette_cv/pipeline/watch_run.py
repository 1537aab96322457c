"""``watch`` over one or several cameras: checks every input first, then one thread (default) or one process per
camera.

Threads are the default because they measured as fast or faster than processes on the 2-core box
(``benchmarks/live.py`` with and without ``--threads``; README "Running a branch"): the people stage spends its time
in native code that releases the interpreter lock (decoding, the detector, MediaPipe), and one process loads the
models once. Processes isolate the cameras (a decoder that crashes takes only its own camera down); choose them with
``processes=True``. Every camera writes through its own connection; the store (SQLite in WAL mode) serialises their
short transactions. SIGINT and SIGTERM stop every camera cleanly: the open windows are graded and committed first.
"""

from __future__ import annotations

import logging
import multiprocessing as mp
import signal
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Sequence

from ..io.live import LiveSource
from ..models import quiet_mediapipe
from ..people.config import PeopleConfig
from ..people.native_memory import limit_malloc_arenas
from ..rules.rulebook import load_rulebook
from ..store import open_store
from .camera_file import CameraFile, CameraFileError, load_camera_calibration, load_camera_file
from .daily_job import DailyJob
from .watch import CameraWatcher, WatchSettings, WatchSummary

log = logging.getLogger("etiquette_cv.watch")


def check_cameras(paths: Sequence[str | Path], settings: WatchSettings) -> list[CameraFile]:
    """Every camera file read, its source opened once and its calibration matched to it, and the store opened;
    raises (CameraFileError, VideoError, StoreError) with a one-line message on the first problem."""
    cams = [load_camera_file(p) for p in paths]
    seen: dict[tuple[str, str], Path] = {}
    for cam in cams:
        key = (cam.branch, cam.camera)
        if key in seen:
            raise CameraFileError(f"{cam.path.name}: camera {cam.camera!r} of branch {cam.branch!r} is also in "
                                  f"{seen[key].name}: each camera needs its own name")
        seen[key] = cam.path
    open_store(settings.store).close()
    return cams


def _install_stop(stop: threading.Event) -> dict:
    """SIGINT and SIGTERM set ``stop``; returns the handlers they replace."""
    def handler(signum, _frame) -> None:
        log.warning("signal %d: stopping (grading the open window first)", signum)
        stop.set()

    return {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}


def _restore(previous: dict) -> None:
    for sig, old in previous.items():
        signal.signal(sig, old)


@contextmanager
def _daily_reports(settings: WatchSettings, stop: threading.Event):
    """While the cameras run, a thread writes the previous day's report once it is due (``settings.daily``)."""
    if settings.daily is None:
        yield None
        return
    job = DailyJob(settings.store, load_rulebook(settings.rulebook), settings.daily)
    done = threading.Event()

    def loop() -> None:
        while True:
            try:
                job.tick()
            except Exception:  # noqa: BLE001 - a failed report must not stop the cameras
                log.exception("daily report failed")
            if done.wait(settings.daily.check_every_s) or stop.is_set():
                return

    thread = threading.Thread(target=loop, name="daily-report", daemon=True)
    thread.start()
    try:
        yield job
    finally:
        done.set()
        thread.join(10.0)


def watch_cameras(paths: Sequence[str | Path], settings: WatchSettings, stop: threading.Event | None = None,
                  processes: bool = False) -> list[WatchSummary]:
    """Watch the cameras of ``paths`` until stopped (SIGINT/SIGTERM, ``stop``, or ``settings.run_for_s``), as
    threads of this process or (``processes``) one process each; returns each camera's counts. Bad input fails
    before anything runs (see :func:`check_cameras`)."""
    limit_malloc_arenas(PeopleConfig().malloc_arenas)  # before the decoders' threads (people/native_memory.py)
    cams = check_cameras(paths, settings)
    stop = stop or threading.Event()
    with _daily_reports(settings, stop):
        return _watch(cams, settings, stop, processes)


def _watch(cams: list[CameraFile], settings: WatchSettings, stop: threading.Event,
           processes: bool) -> list[WatchSummary]:
    """The cameras as threads or processes until stopped (see :func:`watch_cameras`)."""
    in_main = threading.current_thread() is threading.main_thread()
    if len(cams) == 1 or not processes:
        watchers = [CameraWatcher(cam, settings) for cam in cams]  # opens each source: bad input fails here
        previous = _install_stop(stop) if in_main else {}
        try:
            return _run_threads(watchers, stop)
        finally:
            _restore(previous)
    for cam in cams:  # the sources and calibrations, checked here so that bad input fails at once
        source = LiveSource(cam.source)
        load_camera_calibration(cam, source.width, source.height)
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    procs = [ctx.Process(target=_camera_process, args=(str(c.path), settings, results), name=c.camera, daemon=False)
             for c in cams]
    for p in procs:
        p.start()
    previous = _install_stop(stop) if in_main else {}
    try:
        while any(p.is_alive() for p in procs):
            if stop.wait(0.2):
                for p in procs:
                    if p.is_alive():
                        p.terminate()  # SIGTERM: the child stops cleanly
                break
        for p in procs:
            p.join()
    finally:
        _restore(previous)
    for p in procs:
        if p.exitcode != 0:
            log.error("%s: camera process ended with exit code %s", p.name, p.exitcode)
    return [results.get(timeout=10.0) for p in procs if p.exitcode == 0]


def _run_threads(watchers: list[CameraWatcher], stop: threading.Event) -> list[WatchSummary]:
    """Each watcher on its own thread until ``stop``; their summaries (one that failed is logged and left out)."""
    if len(watchers) == 1:
        return [watchers[0].run(stop)]
    out: list[WatchSummary | None] = [None] * len(watchers)

    def one(i: int) -> None:
        try:
            out[i] = watchers[i].run(stop)
        except Exception:  # noqa: BLE001 - one camera's failure must not stop the others
            log.exception("%s: camera stopped by an error", watchers[i].cam.camera)

    threads = [threading.Thread(target=one, args=(i,), name=f"camera-{w.cam.camera}")
               for i, w in enumerate(watchers)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):  # the main thread stays free for the signal handlers
        for t in threads:
            t.join(0.2)
    return [s for s in out if s is not None]


def _camera_process(path: str, settings: WatchSettings, results) -> None:
    """One camera in its own process (spawned): logs to stderr, stops on SIGINT/SIGTERM."""
    logging.basicConfig(level=settings.log_level, format=f"%(asctime)s {Path(path).stem}: %(message)s")
    quiet_mediapipe()
    limit_malloc_arenas(PeopleConfig().malloc_arenas)
    stop = threading.Event()
    _install_stop(stop)
    watcher = CameraWatcher(load_camera_file(path), settings)
    results.put(watcher.run(stop))
