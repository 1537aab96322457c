"""Fleet re-grading speed: tracks files re-graded per second per core, one by one and with Ray on this box.

    python benchmarks/regrade.py                    # 8 files of 7 minutes each (about a minute)
    python benchmarks/regrade.py --files 16 --repeats 20

Each file is the synthetic reception of tests/data/scenarios/reception_min.yaml (two customers, 42 s) repeated
``--repeats`` times back to back (new track ids each time), written as a real tracks file and re-graded exactly as
``etiquette regrade`` does (read → analysis → grading → tracks-only scene checks and DB 表2 → stored events). The
one-by-one run is one core; the Ray run uses every core Ray finds (``--workers`` to limit). Prints the machine, the
per-file and per-core rates, and how many hours of counter video one core re-grades per hour.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from etiquette_cv.io.tracks import TracksFooter, TracksHeader, write_tracks  # noqa: E402
from etiquette_cv.pipeline.regrade import RegradeJob, regrade  # noqa: E402
from etiquette_cv.sim.calibrate import calibration_dict  # noqa: E402
from etiquette_cv.sim.camera import VirtualCamera  # noqa: E402
from etiquette_cv.sim.landmarks import synthesize  # noqa: E402
from etiquette_cv.sim.scenario import load_scenario  # noqa: E402
from etiquette_cv.store import open_store  # noqa: E402

SCENARIO = REPO / "tests" / "data" / "scenarios" / "reception_min.yaml"


def machine() -> str:
    """CPU model and core count of this box."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} cores visible, Python {platform.python_version()}"


def make_archive(root: Path, files: int, repeats: int) -> tuple[list[Path], Path, float]:
    """``files`` tracks files of ``repeats`` back-to-back receptions; returns them, the calibration and the
    seconds of video per file."""
    sc = load_scenario(SCENARIO)
    cam = VirtualCamera.from_spec(sc.camera)
    cal = root / "counter.calibration.yaml"
    cal.write_text(yaml.safe_dump(calibration_dict(sc, cam), allow_unicode=True), encoding="utf-8")
    paths = []
    length = 0.0
    for n in range(files):
        frames = []
        for r in range(repeats):
            one = synthesize(sc, cam, noise_px=1.0, seed=1000 * n + r)
            span = one[-1].timestamp_s + 0.1
            frames += [replace(f, frame_index=len(frames) + i, timestamp_s=f.timestamp_s + r * span,
                               persons=[replace(p, track_id=p.track_id + 100 * r) for p in f.persons])
                       for i, f in enumerate(one)]
        length = frames[-1].timestamp_s
        header = TracksHeader(sc.name, cam.width, cam.height, 10.0, 10.0, "synthetic", None,
                              start_epoch_s=1_795_000_000.0 + 86400 * n)
        paths.append(write_tracks(root / f"day{n:03d}.jsonl.gz", header, frames,
                                  TracksFooter(len(frames), len(frames), True)))
    return paths, cal, length


def _warm() -> float:
    """Import the re-grading code in a Ray worker (returns the seconds it took)."""
    t0 = time.perf_counter()
    import etiquette_cv.pipeline.regrade  # noqa: F401

    time.sleep(0.5)   # hold the CPU so the next warm-up lands on another worker
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=10, help="receptions per file (42 s each)")
    ap.add_argument("--workers", type=int, default=None, help="CPUs for Ray (default: all)")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths, cal, length = make_archive(root, args.files, args.repeats)
        print(f"archive: {len(paths)} tracks files of {length / 60:.1f} min ({length * 10:.0f} frames at 10 fps)")
        jobs = [RegradeJob(p, cal, None, "B1", "counter") for p in paths]
        cpu0 = time.process_time()
        with open_store(root / "serial.db") as s:
            one = regrade(jobs, s, parallel=False)
        cpu = time.process_time() - cpu0
        per_file = [o.compute_s for o in one.outcomes]
        rate1 = len(jobs) / one.wall_s
        print(f"one by one: {one.wall_s:.1f} s wall, {cpu:.1f} s CPU ({cpu / one.wall_s:.2f} cores busy), "
              f"{rate1:.3f} files/s, {min(per_file):.2f}–{max(per_file):.2f} s per file, {one.added} events")
        print(f"load average before Ray: {os.getloadavg()[0]:.2f} (other work on the box slows both runs)")
        with open_store(root / "ray.db") as s:
            import ray

            warm = ray.remote(num_cpus=1)(_warm)
            t0 = time.perf_counter()
            ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False, configure_logging=False,
                     runtime_env={"env_vars": {"PYTHONPATH": str(REPO / "src")}})
            cores = int(ray.cluster_resources().get("CPU", 1))
            # each worker imports the package once (mediapipe, OpenCV, scipy: seconds); an archive of thousands of
            # files pays it once per worker, so it is timed apart from the re-grading
            ray.get([warm.remote() for _ in range(cores)])
            startup = time.perf_counter() - t0
            many = regrade(jobs, s, parallel=True)
            ray.shutdown()
        rate = len(jobs) / many.wall_s
        in_ray = [o.compute_s for o in many.outcomes]
        cpu_ray = sum(o.cpu_s for o in many.outcomes) / len(jobs)
        cpu_one = sum(o.cpu_s for o in one.outcomes) / len(jobs)
        print(f"per file inside a Ray task: {min(in_ray):.2f}–{max(in_ray):.2f} s wall (one by one: "
              f"{min(per_file):.2f}–{max(per_file):.2f} s); load average after: {os.getloadavg()[0]:.2f}")
        print(f"CPU per file (not stretched by other work): {cpu_one:.2f} s one by one, {cpu_ray:.2f} s in Ray = "
              f"{1 / cpu_ray:.3f} files per CPU-second = {length / cpu_ray:.0f} s of video per CPU-second")
        print(f"Ray ({cores} workers): start and worker imports {startup:.1f} s, then {many.wall_s:.1f} s, "
              f"{rate:.3f} files/s = {rate / cores:.3f} files/s per core (speed-up {rate / rate1:.2f}x over one core)")
        per_core = rate / cores * length
        print(f"video re-graded: {rate1 * length:.0f} s per second one by one, {per_core:.0f} s per second per core "
              f"with Ray (one core re-grades {per_core:.0f} camera-days of tracks per day)")
        if one.added != many.added:
            raise SystemExit(f"mismatch: one by one stored {one.added} events, Ray {many.added}")


if __name__ == "__main__":
    main()
