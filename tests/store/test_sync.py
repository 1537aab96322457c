"""Branch (SQLite) → head office (a real PostgreSQL server): push, an outage mid-push and a dead server, catch-up,
every event exactly once."""

from __future__ import annotations

import psycopg
import pytest
from typer.testing import CliRunner

from etiquette_cv.cli import app
from etiquette_cv.store import StoreError, open_store, span_event
from etiquette_cv.store.sync import push, push_url

T0 = 1_795_000_000.0


def _spans(branch: str, first: int, n: int) -> list:
    return [span_event("coverage", branch=branch, camera="c1", start_epoch_s=T0 + 60 * i,
                       end_epoch_s=T0 + 60 * i + 60) for i in range(first, first + n)]


def _keys(store) -> list[str]:
    return sorted(e.key for e in store.events())


def test_push_survives_an_outage_and_stores_every_event_once(tmp_path, pg_url, pg_cluster):
    branch = open_store(tmp_path / "branch.db")
    branch.add(_spans("B1", 0, 25))
    first = push_url(branch, pg_url, batch=10)
    assert (first.sent, first.added) == (25, 25)
    assert push_url(branch, pg_url, batch=10).sent == 0          # nothing new: nothing sent

    # the head office drops the connection in the middle of the next push (after two batches)
    branch.add(_spans("B1", 25, 35))
    target = open_store(pg_url)
    real_add, calls = target.add, []

    def add_then_drop(events):
        calls.append(len(events))
        if len(calls) == 3:
            with psycopg.connect(pg_cluster.admin_url, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", (target.conn.info.backend_pid,))
        return real_add(events)

    target.add = add_then_drop
    with pytest.raises(StoreError, match=r"push to postgresql://postgres@127\.0\.0\.1:\d+/\w+ stopped after 20 "
                                         r"events \(resumes from there\)") as err:
        push(branch, target, batch=10)
    assert "\n" not in str(err.value)
    with open_store(pg_url) as hq:
        assert hq.count() == 45                                   # 25 + the two acknowledged batches

    # the server is unreachable: one line, nothing at the branch changes
    dead = pg_url.replace(f":{pg_cluster.port}/", ":1/")
    mark = branch.sync_mark(target.name)
    with pytest.raises(StoreError, match=r"postgresql://postgres@127\.0\.0\.1:1/\w+: cannot connect: ") as err:
        push_url(branch, dead)
    assert "\n" not in str(err.value)
    assert branch.sync_mark(target.name) == mark and branch.count() == 60

    # more events while it was down, then the catch-up
    branch.add(_spans("B1", 60, 15))
    again = push_url(branch, pg_url, batch=10)
    assert (again.sent, again.added) == (30, 30)
    with open_store(pg_url) as hq:
        assert hq.count() == 75 and _keys(hq) == _keys(branch)   # every event exactly once
    # a lost acknowledgement (the branch forgot how far it got) re-sends everything and duplicates nothing
    branch.set_sync_mark(target.name, -1)
    resent = push_url(branch, pg_url)
    assert (resent.sent, resent.added) == (75, 0)
    branch.close()


def test_two_branches_into_one_head_office(tmp_path, pg_url):
    stores = []
    for name in ("B1", "B2"):
        s = open_store(tmp_path / f"{name}.db")
        s.add(_spans(name, 0, 7))
        stores.append(s)
    for s in stores:
        push_url(s, pg_url)
    with open_store(pg_url) as hq:
        assert hq.branches() == ["B1", "B2"] and hq.count() == 14
        assert len(hq.events(branch="B2")) == 7


def test_cli_push_and_prune(tmp_path, pg_url, pg_cluster):
    db = tmp_path / "branch.db"
    with open_store(db) as s:
        s.add(_spans("B1", 0, 10))
    runner = CliRunner()
    ok = runner.invoke(app, ["store", "push", str(db), "--to", pg_url])
    assert ok.exit_code == 0, ok.output
    assert "10 sent, 10 new" in ok.output
    dead = runner.invoke(app, ["store", "push", str(db), "--to", pg_url.replace(f":{pg_cluster.port}/", ":1/")])
    assert dead.exit_code == 2 and "cannot connect" in dead.output
    missing = runner.invoke(app, ["store", "push", str(tmp_path / "nope.db"), "--to", pg_url])
    assert missing.exit_code == 2 and "nope.db: no such store" in missing.output
    # retention: events that ended more than N days before now go; the rest stay
    pruned = runner.invoke(app, ["store", "prune", str(db), "--days", "30", "--now", str(T0 + 30 * 86400 + 300)])
    assert pruned.exit_code == 0, pruned.output
    with open_store(db) as s:
        assert s.count() == 6 and min(e.end_epoch_s for e in s.events()) == T0 + 300
    bad = runner.invoke(app, ["store", "prune", str(db), "--days", "-1"])
    assert bad.exit_code == 2 and "--days" in bad.output


def test_passwords_never_appear_in_names_or_errors():
    from etiquette_cv.store.postgres import display_name

    assert display_name("postgresql://hq:s3cret@db.example:5432/etiquette") == "postgresql://hq@db.example:5432/etiquette"
    with pytest.raises(StoreError) as err:
        open_store("postgresql://hq:s3cret@127.0.0.1:1/etiquette?connect_timeout=2")
    assert "s3cret" not in str(err.value) and str(err.value).startswith("postgresql://hq@127.0.0.1:1/etiquette: ")
