"""The event store on both backends (SQLite and a real PostgreSQL server): idempotent writes, queries, retention,
migrations; SQLite's bad files and kill -9."""

from __future__ import annotations

import math
import sqlite3
import subprocess
import sys
import textwrap

import pytest

from etiquette_cv.rules.findings import Finding, ReviewResult, Severity, StateInterval, Verdict, Visit
from etiquette_cv.store import StoredEvent, StoreError, events_from_review, open_store, span_event
from etiquette_cv.store.schema import SCHEMA_VERSION

T0 = 1_795_000_000.0  # 2026-11-18 UTC


def _result() -> ReviewResult:
    f = Finding("CC-2.6-stand-greet", "CC ㈡6", "站接", "Stand to greet", "站接", Verdict.LATE, Severity.MINOR,
                12.0, 16.5, "clerk", measured_value=4.5, measured_unit="s", threshold_text="≤ 3.0 s",
                threshold_value=3.0, rule_kind="stand_greet")
    g = Finding("DB-4-bow", "DB 表4", "鞠躬", "Bow", "鞠躬", Verdict.MET, Severity.INFO, 70.0, 71.0, "clerk",
                measured_value=float("nan"), measured_unit="deg")
    return ReviewResult("cam.mp4", 100.0, 1000, 1280, 720, findings=[f, g],
                        visits=[Visit(1, "customer#3", 10.0, 80.0, station="A")],
                        states=[StateInterval("clerk@A", "stand", 11.0, 40.0)])


def test_events_from_review_are_absolute_and_keep_only_their_window():
    ev = events_from_review(_result(), branch="B1", camera="c1", origin_epoch_s=T0)
    kinds = sorted(e.kind for e in ev)
    assert kinds == ["finding", "finding", "state", "visit"]
    late = next(e for e in ev if e.rule_id == "CC-2.6-stand-greet")
    assert late.start_epoch_s == T0 + 12.0 and late.end_epoch_s == T0 + 16.5 and late.value == 4.5
    assert next(e for e in ev if e.rule_id == "DB-4-bow").value is None   # NaN is not stored as a number
    assert next(e for e in ev if e.kind == "state").station == "A"
    own = events_from_review(_result(), branch="B1", camera="c1", origin_epoch_s=T0, own_from_s=11.0,
                             own_to_s=60.0)
    assert sorted(e.kind for e in own) == ["finding", "state"]


def test_state_stretches_are_cut_to_the_window_so_overlapping_windows_never_store_a_second_twice():
    # two windows saw the clerk sit down at slightly different times (the later one had more frames to decide on)
    first = ReviewResult("cam.mp4", 20.0, 200, 1280, 720,
                         states=[StateInterval("clerk@A", "stand", 0.0, 9.0),
                                 StateInterval("clerk@A", "sit", 9.0, 20.0)])
    second = ReviewResult("cam.mp4", 30.0, 300, 1280, 720,
                          states=[StateInterval("clerk@A", "stand", 0.0, 8.5),
                                  StateInterval("clerk@A", "sit", 8.5, 30.0)])
    stored = (events_from_review(first, branch="B1", camera="c1", origin_epoch_s=T0, own_to_s=15.0)
              + events_from_review(second, branch="B1", camera="c1", origin_epoch_s=T0, own_from_s=15.0))
    spans = sorted((e.start_epoch_s - T0, e.end_epoch_s - T0, e.verdict) for e in stored)
    assert spans == [(0.0, 9.0, "stand"), (9.0, 15.0, "sit"), (15.0, 30.0, "sit")]
    assert len({e.key for e in stored}) == 3


def test_adding_twice_stores_once_and_queries_filter(store_url):
    with open_store(store_url) as store:
        ev = events_from_review(_result(), branch="B1", camera="c1", origin_epoch_s=T0)
        assert store.add(ev) == 4
        assert store.add(ev) == 0
        assert store.add(events_from_review(_result(), branch="B1", camera="c2", origin_epoch_s=T0)) == 4
        store.add([span_event("gap", branch="B1", camera="c1", start_epoch_s=T0 + 100, end_epoch_s=T0 + 130,
                              reason="stream dropped")])
        assert len(store.events(camera="c1")) == 5
        gaps = store.events(kinds=["gap"])
        assert len(gaps) == 1 and gaps[0].duration_s == 30.0 and gaps[0].payload["reason"] == "stream dropped"
        assert [e.kind for e in store.events(camera="c1", start_epoch_s=T0 + 75, end_epoch_s=T0 + 101)] == \
            ["visit", "gap"]
        assert store.delete_before(T0 + 50) == 4   # both cameras' stand-greet findings and state stretches
        assert len(store.events()) == 5
        assert store.branches() == ["B1"] and store.count() == 5
    with open_store(store_url) as again:     # reopened: committed, and the migrations are not re-applied
        assert again.count() == 5 and again.schema_version == SCHEMA_VERSION


def test_sequence_numbers_rise_and_sync_marks_persist(store_url):
    """Every stored row gets a larger local sequence number than the rows stored before it, duplicates take
    none, and a target's sync mark survives reopening."""
    with open_store(store_url) as store:
        store.add(events_from_review(_result(), branch="B1", camera="c1", origin_epoch_s=T0))
        store.add(events_from_review(_result(), branch="B1", camera="c1", origin_epoch_s=T0))   # all duplicates
        store.add([span_event("gap", branch="B1", camera="c1", start_epoch_s=T0, end_epoch_s=T0 + 5)])
        rows = store.events_after(-1, 100)
        seqs = [s for s, _ in rows]
        assert len(rows) == 5 and seqs == sorted(set(seqs)) and rows[-1][1].kind == "gap"
        assert [e.key for _, e in store.events_after(seqs[2], 100)] == [e.key for _, e in rows[3:]]
        assert store.sync_mark("hq") == -1
        store.set_sync_mark("hq", seqs[3])
        store.set_sync_mark("hq", seqs[4])
    with open_store(store_url) as store:
        assert store.sync_mark("hq") == seqs[4] and store.sync_mark("other") == -1


def test_a_newer_schema_is_refused(store_url):
    open_store(store_url).close()
    with open_store(store_url) as store:
        store.conn.cursor().execute("UPDATE schema_version SET version = 99")
        store.conn.commit()
    with pytest.raises(StoreError, match=r"version 99, newer"):
        open_store(store_url)


def test_a_newer_schema_and_a_foreign_file_are_refused(tmp_path):
    path = tmp_path / "s.db"
    open_store(path).close()
    con = sqlite3.connect(path)
    assert con.execute("SELECT version FROM schema_version").fetchone()[0] == SCHEMA_VERSION
    con.execute("UPDATE schema_version SET version = 99")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match=r"s\.db: .*version 99, newer"):
        open_store(path)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match=r"junk\.db: "):
        open_store(junk)
    with pytest.raises(StoreError, match="unknown store address"):
        open_store("ftp://x/y")


def test_bad_events_are_refused():
    with pytest.raises(StoreError, match="unknown event kind"):
        StoredEvent("B", "c", "bogus", T0)
    with pytest.raises(StoreError, match="ends before"):
        StoredEvent("B", "c", "gap", T0, T0 - 1)
    with pytest.raises(StoreError, match="finite start"):
        StoredEvent("B", "c", "gap", math.nan)
    with pytest.raises(StoreError, match="plain JSON"):
        StoredEvent("B", "c", "gap", T0, payload={"x": object()})
    with pytest.raises(StoreError, match="'evidence_image' holds inline data: the store keeps no images"):
        StoredEvent("B", "c", "finding", T0, payload={"evidence_image": "data:image/jpeg;base64,/9j/4AAQ"})


def test_kill_9_loses_nothing_committed(tmp_path):
    """A writer killed mid-stream: every batch it committed is there, and writing them again adds nothing."""
    path = tmp_path / "k.db"
    script = textwrap.dedent(f"""
        import sys, time
        from etiquette_cv.store import open_store, span_event
        s = open_store({str(path)!r})
        for i in range(100000):
            s.add([span_event("coverage", branch="B", camera="c", start_epoch_s={T0} + i, end_epoch_s={T0} + i + 1)])
            print(i, flush=True)
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    last = -1
    for line in proc.stdout:
        last = int(line)
        if last >= 200:
            proc.kill()
            break
    proc.wait()
    with open_store(path) as store:
        stored = store.events()
        assert len(stored) >= last + 1          # every acknowledged commit survived
        again = [span_event("coverage", branch="B", camera="c", start_epoch_s=T0 + i, end_epoch_s=T0 + i + 1)
                 for i in range(last + 1)]
        assert store.add(again) == 0


def test_a_version_1_store_is_migrated_and_its_old_rows_are_synced(tmp_path):
    """A store written before the sequence numbers existed: opening it migrates in place, the old rows get
    sequence 0 and a target that never synced receives them along with the new ones."""
    from etiquette_cv.store.schema import COLUMNS, MIGRATIONS
    from etiquette_cv.store.sync import push

    path = tmp_path / "old.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    con.execute("INSERT INTO schema_version VALUES (1)")
    for statement in MIGRATIONS[0]:
        con.execute(statement)
    old = span_event("coverage", branch="B", camera="c", start_epoch_s=T0, end_epoch_s=T0 + 60)
    con.execute(f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})",
                (old.key, "B", "c", "coverage", T0, T0 + 60, None, None, None, None, None, 60.0, "s",
                 '{"reason": ""}', T0))
    con.commit()
    con.close()
    with open_store(path) as store, open_store(tmp_path / "hq.db") as hq:
        assert store.schema_version == SCHEMA_VERSION
        new = span_event("gap", branch="B", camera="c", start_epoch_s=T0 + 60, end_epoch_s=T0 + 90)
        assert store.add([old, new]) == 1
        assert [s for s, _ in store.events_after(-1, 10)] == [0, 2]
        report = push(store, hq)
        assert (report.sent, report.added) == (2, 2) and sorted(e.kind for e in hq.events()) == ["coverage", "gap"]


def test_replace_swaps_a_span_of_graded_events_in_one_transaction(store_url):
    """Re-grading: the camera's findings, visits and states starting in the span go, the new ones come in; other
    cameras, other times, coverage and gaps stay."""
    with open_store(store_url) as store:
        store.add(events_from_review(_result(), branch="B1", camera="c1", origin_epoch_s=T0))
        store.add(events_from_review(_result(), branch="B1", camera="c2", origin_epoch_s=T0))
        store.add(events_from_review(_result(), branch="B1", camera="c1", origin_epoch_s=T0 + 1000))
        store.add([span_event("gap", branch="B1", camera="c1", start_epoch_s=T0 + 50, end_epoch_s=T0 + 55)])
        regraded = _result()
        regraded.findings = regraded.findings[:1]
        new = events_from_review(regraded, branch="B1", camera="c1", origin_epoch_s=T0)
        assert store.replace(new, branch="B1", camera="c1", start_epoch_s=T0, end_epoch_s=T0 + 100) == (4, 3)
        c1 = store.events(camera="c1")
        assert len(c1) == 3 + 1 + 4 and len(store.events(camera="c2")) == 4
        assert [e.rule_id for e in c1 if e.kind == "finding" and e.start_epoch_s < T0 + 100] == [
            "CC-2.6-stand-greet"]
        before = sorted(e.key for e in store.events())
        assert store.replace(new, branch="B1", camera="c1", start_epoch_s=T0, end_epoch_s=T0 + 100) == (3, 3)
        assert sorted(e.key for e in store.events()) == before      # the same re-grade again: the same store
