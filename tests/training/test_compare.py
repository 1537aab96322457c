"""score.json round trip, two attempts compared step by step, the history page, the compare command."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from etiquette_cv.cli import app
from etiquette_cv.report.compare_page import render_compare_html, render_history_html
from etiquette_cv.training.compare import compare_attempts
from etiquette_cv.training.results_json import ScoreFileError, read_score_json, write_score_json
from etiquette_cv.training.scoring import score_attempt

from .test_scoring import RECEPTION, bow, indicate, stand, stream


@pytest.fixture
def attempts():
    first = score_attempt(RECEPTION, stream(stand(9.0), bow(10.0, 30.0), indicate(12.0)), "first.mp4")
    second = score_attempt(RECEPTION, stream(stand(4.3), bow(5.5, 16.0)), "second.mp4")
    return first, second


def test_score_json_round_trip(tmp_path, attempts):
    first, _ = attempts
    path = write_score_json(first, None, tmp_path / "score.json")
    back = read_score_json(path)
    assert [s.verdict for s in back.steps] == [s.verdict for s in first.steps] == ["late", "wrong_class", "done"]
    assert back.steps[1].event.peak_angle_deg == 30.0 and back.steps[1].band_deg == (9.0, 22.0)
    assert back.score_pct == pytest.approx(first.score_pct)
    assert json.loads(path.read_text(encoding="utf-8"))["schema"] == "etiquette-cv/score"


def test_a_file_that_is_not_a_score_says_so(tmp_path):
    p = tmp_path / "findings.json"
    p.write_text('{"schema": "etiquette-cv/findings"}')
    with pytest.raises(ScoreFileError, match="findings.json: not a score.json file"):
        read_score_json(p)


def test_compare_marks_each_step_improved_or_worse(attempts):
    changes = {c.step_id: c for c in compare_attempts(*attempts)}
    assert changes["stand_up"].change == "improved" and "late → done" in changes["stand_up"].why_en
    assert changes["greeting_bow"].change == "improved"
    assert changes["indicate_seat"].change == "worse"
    back = {c.step_id: c.change for c in compare_attempts(attempts[1], attempts[0])}
    assert back == {"stand_up": "worse", "greeting_bow": "worse", "indicate_seat": "improved"}


def test_same_verdict_compares_the_bow_angle():
    a = score_attempt(RECEPTION, stream(stand(4.3), bow(5.5, 35.0), indicate(9.0)))
    b = score_attempt(RECEPTION, stream(stand(4.3), bow(5.5, 25.0), indicate(9.0)))
    c = {x.step_id: x for x in compare_attempts(a, b)}["greeting_bow"]
    assert c.change == "improved" and "13° → 3° outside the band" in c.why_en


def test_pages_escape_and_show_both_attempts(attempts):
    html = render_compare_html(*attempts, lang="en", names=("<b>a</b>", "B"))
    assert "&lt;b&gt;a&lt;/b&gt;" in html and "<b>a</b>" not in html
    assert html.count('data-change="improved"') == 2 and html.count('data-change="worse"') == 1
    hist = render_history_html(list(attempts) + [attempts[1]], ["1", "2", "3"], "zh")
    assert hist.count("<td><span class=\"v") == 9 and "迟了" in hist


def test_compare_command_writes_both_pages(tmp_path, attempts):
    paths = []
    for i, a in enumerate(attempts):
        d = tmp_path / f"try{i}"
        d.mkdir()
        paths.append(str(write_score_json(a, None, d / "score.json")))
    out = tmp_path / "cmp"
    res = CliRunner().invoke(app, ["compare", *paths, "--out", str(out), "--lang", "en"])
    assert res.exit_code == 0, res.output
    assert (out / "compare.html").exists() and (out / "history.html").exists()
    assert "improved" in res.output
    bad = CliRunner().invoke(app, ["compare", paths[0], str(tmp_path / "nope.json"), "--out", str(out)])
    assert bad.exit_code == 2 and "nope.json: file not found" in bad.output
