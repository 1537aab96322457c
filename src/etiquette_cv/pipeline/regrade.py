"""Fleet re-grading: many archived tracks files re-graded against a (changed) rulebook, one Ray task per file,
results into the event store.

Each task reads one tracks file and grades it exactly as ``etiquette review --tracks`` does (analysis → grading →
the tracks-only scene checks and DB 表2 service times; no video, so the image checks stay not assessable), and
returns its events with absolute times (origin: the tracks header's ``start_epoch_s``, or a start given for a file
without one) plus a ``coverage`` span for the file's duration. Only the driver writes the store (one writer), one
transaction per file that **replaces** the camera's graded events (findings, visits, state stretches) starting in
the file's span with the new ones: after a rulebook change the new verdicts supersede the old, and re-running a
re-grade leaves the store as it was.

Ray runs on one box (``ray.init`` local) or on a cluster (``address=``); with ``parallel=False`` the same tasks run
one by one in this process.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from ..geometry.calibration import CalibrationError, load_calibration
from ..geometry.solver import solve_camera
from ..io.tracks import TracksError
from ..rules.findings import ReviewResult
from ..rules.rulebook import RulebookError, load_rulebook
from ..store import SqlEventStore, StoredEvent, events_from_review, span_event
from .review_run import grade_tracks_file, scene_and_service_times

TRACKS_SUFFIXES = (".jsonl.gz", ".jsonl")


@dataclass(frozen=True)
class RegradeJob:
    """One tracks file to re-grade, with where its events belong."""

    tracks: Path
    calibration: Path
    rulebook: Path | None
    branch: str
    camera: str
    start_epoch_s: float | None = None
    """Wall-clock time of the file's t = 0 when its header has none (the header's wins when present)."""


@dataclass
class RegradeOutcome:
    """What one task produced: the file's events, or why it could not be re-graded (one line)."""

    tracks: str
    branch: str = ""
    camera: str = ""
    origin_epoch_s: float = 0.0
    """Wall-clock time of the file's t = 0."""
    events: list[StoredEvent] = field(default_factory=list)
    duration_s: float = 0.0
    """Seconds of video the file covers."""
    frames: int = 0
    compute_s: float = 0.0
    """Wall seconds the task spent (read + analyse + grade)."""
    cpu_s: float = 0.0
    """CPU seconds the task's process spent on it (unlike ``compute_s``, not stretched by other work on the box)."""
    error: str | None = None
    problem: str | None = None
    """Set when the tracks file is incomplete: its events cover only what was recorded."""


@dataclass
class RegradeSummary:
    """A whole re-grade: per-file outcomes, how many events were new in the store, the wall time."""

    outcomes: list[RegradeOutcome]
    added: int
    """Events stored (new rows, including ones that replace a previous grading)."""
    replaced: int
    """Previously stored graded events of the files' spans that were removed."""
    wall_s: float
    workers: int

    @property
    def failed(self) -> list[RegradeOutcome]:
        """The files that could not be re-graded."""
        return [o for o in self.outcomes if o.error is not None]


def tracks_files(folder: str | Path) -> list[Path]:
    """The tracks files (``*.jsonl.gz``, ``*.jsonl``) under ``folder``, recursively, sorted."""
    root = Path(folder)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such folder")
    return sorted(p for p in root.rglob("*") if p.is_file() and p.name.endswith(TRACKS_SUFFIXES))


def grade_tracks(tracks_path: Path, calibration: Path, rulebook: Path | None) -> tuple[ReviewResult, float | None]:
    """Grade one tracks file as ``etiquette review --tracks`` does (no video); returns the result and the header's
    ``start_epoch_s``."""
    rb = load_rulebook(rulebook)
    cal = load_calibration(calibration)
    camera = solve_camera(cal)
    graded = grade_tracks_file(tracks_path, cal, camera, rb)   # a long file window by window, in bounded memory
    scene_and_service_times(graded, None, cal, camera, rb, None, None)   # no images written
    return graded.result, graded.header.start_epoch_s


def regrade_file(job: RegradeJob) -> RegradeOutcome:
    """One task: re-grade ``job.tracks`` into stored events; never raises for a bad file (the outcome says why)."""
    t0, cpu0 = time.perf_counter(), time.process_time()
    out = RegradeOutcome(str(job.tracks), job.branch, job.camera)
    try:
        result, header_start = grade_tracks(job.tracks, job.calibration, job.rulebook)
    except (TracksError, CalibrationError, RulebookError, OSError, ValueError) as exc:
        out.error = f"{job.tracks}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        return out
    origin = header_start if header_start is not None else job.start_epoch_s
    if origin is None:
        out.error = f"{job.tracks}: the header has no start time (start_epoch_s): give --start"
        return out
    out.origin_epoch_s = origin
    out.events = events_from_review(result, branch=job.branch, camera=job.camera, origin_epoch_s=origin)
    if result.duration_s > 0:
        out.events.append(span_event("coverage", branch=job.branch, camera=job.camera, start_epoch_s=origin,
                                     end_epoch_s=origin + result.duration_s, reason="regrade",
                                     tracks=job.tracks.name, rulebook=result.rulebook_version))
    out.duration_s, out.frames, out.problem = result.duration_s, result.analysed_frames, result.problem
    out.compute_s, out.cpu_s = time.perf_counter() - t0, time.process_time() - cpu0
    return out


def _ray_init(num_cpus: int | None, address: str | None) -> int:
    import ray

    if not ray.is_initialized():
        # the workers import this package from where this process did (an editable or source tree)
        root = str(Path(__file__).resolve().parents[2])
        path = os.pathsep.join([root] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
        ray.init(address=address, num_cpus=None if address else num_cpus, include_dashboard=False,
                 log_to_driver=False, configure_logging=False, runtime_env={"env_vars": {"PYTHONPATH": path}})
    return int(ray.cluster_resources().get("CPU", 1))


def regrade(jobs: Iterable[RegradeJob], store: SqlEventStore, *, parallel: bool = True,
            num_cpus: int | None = None, address: str | None = None,
            on_done: Callable[[RegradeOutcome], None] | None = None) -> RegradeSummary:
    """Re-grade every job (Ray tasks when ``parallel``, else one by one here) and store each file's events as it
    finishes, replacing the graded events of its span (one transaction per file). A file that fails is reported in
    the summary and changes nothing."""
    jobs = list(jobs)
    t0 = time.perf_counter()
    outcomes: list[RegradeOutcome] = []
    added = replaced = 0

    def done(o: RegradeOutcome) -> None:
        nonlocal added, replaced
        if o.error is None:
            gone, new = store.replace(o.events, branch=o.branch, camera=o.camera, start_epoch_s=o.origin_epoch_s,
                                      end_epoch_s=o.origin_epoch_s + o.duration_s)
            added, replaced = added + new, replaced + gone
        outcomes.append(o)
        if on_done is not None:
            on_done(o)

    workers = 1
    if parallel and jobs:
        import ray

        workers = _ray_init(num_cpus, address)
        task = ray.remote(num_cpus=1, max_retries=1)(regrade_file)
        pending = [task.remote(j) for j in jobs]
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            done(ray.get(ready[0]))
    else:
        for j in jobs:
            done(regrade_file(j))
    order = {str(j.tracks): i for i, j in enumerate(jobs)}
    outcomes.sort(key=lambda o: order[o.tracks])
    return RegradeSummary(outcomes, added, replaced, time.perf_counter() - t0, workers)
