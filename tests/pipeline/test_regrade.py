"""Fleet re-grading with Ray on this box: a folder of synthetic tracks files re-graded in parallel stores the same
events as one by one; a re-run adds nothing; a bad file is reported and the others are stored."""

from __future__ import annotations

from pathlib import Path

import pytest
import ray
import yaml
from typer.testing import CliRunner

from etiquette_cv.cli import app
from etiquette_cv.io.tracks import TracksFooter, TracksHeader, write_tracks
from etiquette_cv.pipeline.regrade import RegradeJob, regrade, tracks_files
from etiquette_cv.sim.landmarks import synthesize
from etiquette_cv.store import open_store

from conftest import write_scenario_calibration

SCENARIO = Path(__file__).resolve().parents[1] / "data" / "scenarios" / "reception_min.yaml"
T0 = 1_795_000_000.0
FILES = 3


@pytest.fixture(scope="module")
def archive(tmp_path_factory):
    """Three tracks files of one camera on three days (different noise), and its calibration."""
    root = tmp_path_factory.mktemp("archive")
    cal = root / "counter1.calibration.yaml"
    sc, cam = write_scenario_calibration(SCENARIO, cal)
    folder = root / "tracks"
    for day in range(FILES):
        frames = synthesize(sc, cam, noise_px=1.0 + 0.3 * day, seed=day)
        header = TracksHeader(sc.name, cam.width, cam.height, 10.0, 10.0, "synthetic", None,
                              start_epoch_s=T0 + 86400 * day)
        write_tracks(folder / f"2026-11-{18 + day}" / "counter1.jsonl.gz", header, frames,
                     TracksFooter(len(frames), len(frames), True))
    return folder, cal


@pytest.fixture(scope="module")
def ray_local():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(Path(__file__).resolve().parents[2] / "src")}})
    yield ray
    ray.shutdown()


def _rows(store) -> list[tuple]:
    return sorted((e.key, e.kind, e.rule_id, e.verdict, e.start_epoch_s, e.end_epoch_s, e.value,
                   repr(sorted(e.payload.items()))) for e in store.events())


def _stricter_rulebook(path: Path) -> Path:
    """The shipped rulebook with a stricter 站接: standing up must begin within 0.1 s of the crossing."""
    from etiquette_cv.rules.rulebook import DEFAULT_RULEBOOK

    data = yaml.safe_load(DEFAULT_RULEBOOK.read_text(encoding="utf-8"))
    greet = next(r for r in data["rules"] if r["id"] == GREET)
    greet["params"]["allowance_s"]["value"] = 0.1
    greet["params"]["early_s"]["value"] = 0.0
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


GREET = "CC-2.6-stand-greet"


def test_ray_gives_the_same_events_as_one_by_one_and_a_regrade_replaces(archive, ray_local, tmp_path):
    folder, cal = archive
    files = tracks_files(folder)
    assert len(files) == FILES
    jobs = [RegradeJob(f, cal, None, "B1", "counter1") for f in files]
    with open_store(tmp_path / "serial.db") as serial, open_store(tmp_path / "ray.db") as par:
        one = regrade(jobs, serial, parallel=False)
        many = regrade(jobs, par, parallel=True)
        assert not one.failed and not many.failed and many.workers == 2
        assert one.added == many.added > FILES * 10 and many.replaced == 0
        assert _rows(serial) == _rows(par)
        kinds = {e.kind for e in par.events()}
        assert {"finding", "visit", "state", "coverage"} <= kinds
        greet = [e for e in par.events(kinds=["finding"]) if e.rule_id == GREET]
        assert len(greet) == FILES * 2 and {round((e.start_epoch_s - T0) // 86400) for e in greet} == set(range(FILES))
        assert {e.verdict for e in greet} == {"met"}
        cover = par.events(kinds=["coverage"])
        assert [round(c.duration_s, 1) for c in cover] == [41.9] * FILES
        # two findings of one rule, person and start (the waiting time's daily and peak averages) are both kept
        waiting = [e for e in par.events(kinds=["finding"]) if e.rule_id == "DB-5.1-waiting-time"]
        assert len(waiting) == FILES * 2

        # the rulebook changes: the new verdicts replace the old ones, as if graded into an empty store
        strict = [RegradeJob(f, cal, _stricter_rulebook(tmp_path / "strict.yaml"), "B1", "counter1") for f in files]
        again = regrade(strict, par, parallel=True)
        assert again.replaced == many.added - FILES                       # every graded event; coverage is kept
        with open_store(tmp_path / "fresh.db") as fresh:
            regrade(strict, fresh, parallel=False)
            assert _rows(par) == _rows(fresh)
        greet = [e for e in par.events(kinds=["finding"]) if e.rule_id == GREET]
        assert len(greet) == FILES * 2 and {e.verdict for e in greet} == {"late"}


def test_cli_regrade_reports_a_bad_file_and_stores_the_rest(archive, ray_local, tmp_path):
    folder, cal = archive
    bad = tmp_path / "mixed"
    for f in tracks_files(folder)[:2]:
        (bad / f.parent.name).mkdir(parents=True)
        (bad / f.parent.name / f.name).write_bytes(f.read_bytes())
    (bad / "broken.jsonl").write_text('{"not": "a tracks header"}\n')
    db = tmp_path / "s.db"
    res = CliRunner().invoke(app, ["regrade", str(bad), "--calibration", str(cal), "--store", str(db),
                                   "--branch", "B7"])
    assert res.exit_code == 2, res.output
    assert "broken.jsonl" in res.output and "re-graded 2/3 tracks files" in res.output
    with open_store(db) as s:
        assert s.branches() == ["B7"] and {e.camera for e in s.events()} == {"counter1"}
        assert len(s.events(kinds=["coverage"])) == 2
    runner = CliRunner()
    nodir = runner.invoke(app, ["regrade", str(tmp_path / "nope"), "--calibration", str(cal), "--store", str(db)])
    assert nodir.exit_code == 2 and "nope: no such folder" in nodir.output
    many = runner.invoke(app, ["regrade", str(folder), "--calibration", str(cal), "--store", str(db),
                               "--start", "2026-11-20T09:00:00+08:00"])
    assert many.exit_code == 2 and "--start applies to a single tracks file" in many.output
