"""Reports: findings JSON round trip, Excel-friendly CSV, the self-contained HTML page (also rendered by headless
Chromium) and the terminal summary, all on a synthetic review built here."""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import shutil
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import cv2
import numpy as np
import pytest

from etiquette_cv.rules.findings import (Coverage, Finding, ReviewResult, Series, Severity, StateInterval, Verdict,
                                         Visit)
from etiquette_cv.report import (CSV_COLUMNS, SCHEMA, fmt_clock, read_findings_json, reception_kind,
                                 render_report_html, summary_table, write_findings_csv, write_findings_json,
                                 write_report_html)

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "tests" / "artifacts"
NOTE_XSS = '趴在桌面上，持续 11 秒, "引号"\n<script>alert(1)</script>'
GENERATED = datetime(2026, 11, 25, 4, 0, tzinfo=timezone.utc)

WORDING_GREET = "客户走近柜台2米时，应主动起立，站姿规范，面带微笑，主动问候。"
WORDING_BOW = "致意式鞠躬：15°，用于问候、致意。"


def _keyframe(path: Path, text: str, size=(480, 270)) -> str:
    w, h = size
    img = np.full((h, w, 3), (60, 70, 80), np.uint8)
    cv2.rectangle(img, (w // 3, h // 5), (2 * w // 3, h - 10), (90, 200, 90), 3)
    cv2.line(img, (0, int(h * 0.8)), (w, int(h * 0.8)), (0, 200, 255), 2)
    cv2.putText(img, text, (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.8, (255, 255, 255), 2)
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), img)
    return path.name


def _finding(rule_id, verdict, start, end, **kw) -> Finding:
    titles = {
        "CC-2.6-stand-greet": ("站立迎接客户（站接）", "Stand to greet the customer"),
        "CC-2.6b-stand-send-off": ("站立送别客户（站送）", "Stand to see the customer off"),
        "DB-6.2-bow-greet": ("致意式鞠躬 15°", "Greeting bow 15°"),
        "DB-6.2-bow-form": ("鞠躬姿态", "Bow form"),
        "CC-1.7-lying-on-desk": ("趴于桌面", "Lying on the desk"),
        "CC-1.6-hands-in-pockets": ("手插口袋", "Hands in pockets"),
        "DB-T2-handling-time": ("业务办理时效", "Handling time"),
    }
    wordings = {
        "CC-2.6-stand-greet": ("CC 通用规范㈡6 / 柜面服务规范1", WORDING_GREET),
        "CC-2.6b-stand-send-off": ("CC 通用规范㈡6 / 柜面服务规范1", "业务办理完毕，应起立送别客户。"),
        "DB-6.2-bow-greet": ("DB21/T 2641-2016 表4 鞠躬", WORDING_BOW),
        "DB-6.2-bow-form": ("DB21/T 2641-2016 表4 鞠躬", "目光落在体前1.5米处，双腿并拢，以腰为轴。"),
        "CC-1.7-lying-on-desk": ("CC 通用规范㈠7 坐姿", "不得趴于桌面。"),
        "CC-1.6-hands-in-pockets": ("CC 通用规范㈠6 站姿", "不得将手插在裤袋或衣袋里。"),
        "DB-T2-handling-time": ("DB21/T 2641-2016 表2 服务时效", "寿险业务资料齐全的，15分钟内办结。"),
    }
    zh, en = titles[rule_id]
    kw.setdefault("clause", wordings[rule_id][0])
    kw.setdefault("wording_zh", wordings[rule_id][1])
    kw.setdefault("severity", Severity.MAJOR if verdict in (Verdict.MISSED, Verdict.VIOLATION) else Severity.MINOR)
    kw.setdefault("person", "clerk")
    kw.setdefault("rule_kind", KINDS[rule_id])
    return Finding(rule_id=rule_id, title_zh=zh, title_en=en, verdict=verdict, start_s=start, end_s=end, **kw)


KINDS = {"CC-2.6-stand-greet": "stand_greet", "CC-2.6b-stand-send-off": "stand_send_off",
         "DB-6.2-bow-greet": "bow_expected", "DB-6.2-bow-form": "bow_graded", "CC-1.7-lying-on-desk": "posture",
         "CC-1.6-hands-in-pockets": "posture", "DB-T2-handling-time": "handling_time"}
"""The rulebook kind of each rule of the synthetic review (findings carry it; the report reads it)."""


def make_result(report_dir: Path) -> ReviewResult:
    """A 3-minute review: two visits, every verdict, states, a trunk angle with gaps, two bows, keyframes."""
    img = f"keyframes/{_keyframe(report_dir / 'keyframes' / 'f001.jpg', 'clerk 16.5 deg')}"
    big = f"keyframes/{_keyframe(report_dir / 'keyframes' / 'f002.png', 'lying on desk', size=(1600, 900))}"
    findings = [
        _finding("CC-2.6-stand-greet", Verdict.MET, 18.0, 20.4, visit_id=1, measured_value=2.4, measured_unit="s",
                 threshold_text="≤ 3.0 s", threshold_value=3.0, threshold_source="default", evidence_t_s=20.4,
                 evidence_frame_index=510, evidence_image=img),
        _finding("DB-6.2-bow-greet", Verdict.MET, 24.0, 26.0, measured_value=16.5, measured_unit="deg",
                 threshold_text="15° ± 5°", threshold_value=15.0, threshold_source="standard", evidence_t_s=25.0,
                 evidence_frame_index=625, evidence_image=img, visit_id=1),
        _finding("DB-6.2-bow-form", Verdict.NOT_ASSESSABLE, 24.0, 26.0, note="腿部不在画面内 (legs not visible)"),
        _finding("CC-2.6b-stand-send-off", Verdict.MET, 63.0, 65.0, visit_id=1, evidence_image=img,
                 evidence_t_s=64.0, evidence_frame_index=1600),
        _finding("DB-T2-handling-time", Verdict.INFO, 18.0, 65.0, visit_id=1, measured_value=47.0, measured_unit="s",
                 threshold_text="≤ 15 min", threshold_value=900.0, threshold_source="standard",
                 severity=Severity.INFO),
        _finding("CC-2.6-stand-greet", Verdict.LATE, 98.0, 104.2, visit_id=2, measured_value=6.2, measured_unit="s",
                 threshold_text="≤ 3.0 s", threshold_value=3.0, threshold_source="default", evidence_t_s=104.2,
                 evidence_frame_index=2605, evidence_image=img, note="起身晚了 3.2 秒"),
        _finding("CC-1.7-lying-on-desk", Verdict.VIOLATION, 120.0, 131.0, measured_value=11.0, measured_unit="s",
                 threshold_text="≥ 5 s", threshold_value=5.0, evidence_t_s=125.0, evidence_frame_index=3125,
                 evidence_image=big, note=NOTE_XSS, wording_zh="不得趴于桌面、卧坐或翘二郎腿。"),
        _finding("CC-2.6b-stand-send-off", Verdict.MISSED, 146.0, 148.0, visit_id=2, evidence_image=img,
                 evidence_t_s=147.0, evidence_frame_index=3675, note="客户离开时柜员仍坐着"),
        _finding("CC-1.6-hands-in-pockets", Verdict.NOT_APPLICABLE, 0.0, 180.0, note="柜员全程坐着"),
    ]
    states = [StateInterval("clerk", s, a, b) for s, a, b in [
        ("sit", 0, 20.4), ("stand", 20.4, 24), ("bow", 24, 26), ("stand", 26, 60), ("bow", 60, 62),
        ("stand", 62, 66), ("sit", 66, 100), ("unknown", 100, 110), ("sit", 110, 140), ("stand", 140, 146),
        ("sit", 146, 150), ("absent", 150, 165), ("sit", 165, 180)]]
    states += [StateInterval("customer#3", "absent", 0, 18), StateInterval("customer#3", "stand", 18, 65),
               StateInterval("customer#3", "absent", 65, 180), StateInterval("customer#7", "absent", 0, 98),
               StateInterval("customer#7", "stand", 98, 148), StateInterval("customer#7", "absent", 148, 180)]
    t = np.arange(0, 180, 0.1)
    rng = np.random.default_rng(0)
    v = 6 + rng.normal(0, 0.8, t.size) + 10.5 * np.exp(-((t - 25) / 0.6) ** 2) + 26 * np.exp(-((t - 61) / 0.6) ** 2)
    v[(t >= 100) & (t < 110)] = np.nan
    v[(t >= 150) & (t < 165)] = np.nan
    return ReviewResult(
        source="counter3 <branch> & co.mp4", duration_s=180.0, analysed_frames=1800, image_width=1920,
        image_height=1080, findings=findings,
        visits=[Visit(1, "customer#3", 18.0, 65.0, at_counter_s=21.0, wait_s=42.0, station="A", min_distance_m=0.45,
                      last_inside_s=64.5, pass_by=None),
                Visit(3, "customer#9", 150.0, 151.5, at_counter_s=150.0, station="A", min_distance_m=1.8,
                      last_inside_s=151.5, pass_by="the customer passed by: within 2 m for 1.5 s"),
                Visit(2, "customer#7", 98.0, 148.0, at_counter_s=100.5, left_view=True)],
        states=states, series=[Series("trunk_flexion_deg", "deg", t, v)],
        bow_peaks=[(25.0, 16.5, "greet", "clerk"), (61.0, 32.0, "thanks", "clerk")],
        coverage=Coverage(visible_s={"clerk": 155.0, "customer#3": 47.0, "customer#7": 50.0},
                          assessable_rules=["CC-2.6-stand-greet", "CC-2.6b-stand-send-off", "DB-6.2-bow-greet",
                                            "CC-1.7-lying-on-desk", "CC-1.6-hands-in-pockets"],
                          not_assessable_rules={"DB-6.2-bow-form": "legs not visible from this camera"}),
        rulebook_name="DB21/T 2641-2016 + 客户服务人员行为规范", rulebook_version="2026.1",
        problem="counter3.mp4: stream stopped after 180.0 s (file truncated?)",
    )


@pytest.fixture
def result(tmp_path) -> ReviewResult:
    return make_result(tmp_path)


# ---------------------------------------------------------------- JSON


def test_json_round_trip(tmp_path, result):
    path = write_findings_json(result, tmp_path / "findings.json", generated=GENERATED)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["schema"] == SCHEMA and doc["version"] == 1
    assert doc["score"] == pytest.approx(100 * 3 / 6, abs=0.01)
    assert doc["findings"][0]["verdict"] == "met" and doc["findings"][0]["severity"] == "minor"
    assert doc["findings"][0]["evidence_image"] == "keyframes/f001.jpg"
    assert doc["findings"][0]["duration_s"] == pytest.approx(2.4)
    assert doc["bow_peaks"][1] == {"t_s": 61.0, "peak_deg": 32.0, "class": "thanks", "person": "clerk"}
    assert "series" not in doc
    assert "趴在桌面上" in path.read_text(encoding="utf-8")  # not \u-escaped

    back = read_findings_json(path)
    assert back.findings == result.findings
    assert back.visits == result.visits
    assert back.states == [type(s)(s.person, s.state, float(s.start_s), float(s.end_s)) for s in result.states]
    assert back.bow_peaks == result.bow_peaks
    assert back.coverage == result.coverage
    assert back.score == result.score
    for attr in ("source", "duration_s", "analysed_frames", "image_width", "image_height", "rulebook_name",
                 "rulebook_version", "near_m", "problem"):
        assert getattr(back, attr) == getattr(result, attr), attr


def test_json_series_nan_and_relocated_evidence(tmp_path, result):
    out = tmp_path / "out" / "findings.json"
    write_findings_json(result, out, base_dir=tmp_path, include_series=True)
    text = out.read_text(encoding="utf-8")
    assert "NaN" not in text
    doc = json.loads(text)
    assert doc["findings"][0]["evidence_image"] == "../keyframes/f001.jpg"
    back = read_findings_json(out)
    s0, s1 = result.series[0], back.series[0]
    assert np.array_equal(np.isnan(s0.values), np.isnan(s1.values))
    assert np.allclose(s0.values[~np.isnan(s0.values)], s1.values[~np.isnan(s1.values)], atol=1e-3)


def test_json_rejects_other_schema_and_newer_version(tmp_path):
    p = tmp_path / "x.json"
    p.write_text(json.dumps({"schema": "something/else", "version": 1}))
    with pytest.raises(ValueError, match="not an etiquette-cv findings file"):
        read_findings_json(p)
    p.write_text(json.dumps({"schema": SCHEMA, "version": 99}))
    with pytest.raises(ValueError, match="newer"):
        read_findings_json(p)


# ---------------------------------------------------------------- CSV


def test_csv_bom_rows_and_chinese(tmp_path, result):
    path = write_findings_csv(result, tmp_path / "findings.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0].keys()) == CSV_COLUMNS
    assert len(rows) == len(result.findings)
    assert rows[0]["title_zh"] == "站立迎接客户（站接）" and rows[0]["wording_zh"] == WORDING_GREET
    assert rows[0]["verdict"] == "met" and rows[0]["threshold"] == "≤ 3.0 s"
    assert rows[0]["duration_s"] == "2.4" and rows[0]["evidence_image"] == "keyframes/f001.jpg"
    xss = next(r for r in rows if r["rule_id"] == "CC-1.7-lying-on-desk")
    assert xss["note"] == NOTE_XSS  # commas, quotes and the newline survive quoting
    assert xss["visit_id"] == "" and xss["measured_value"] == "11"


# ---------------------------------------------------------------- HTML


def _render(tmp_path, result, lang="zh", **kw) -> str:
    path = write_report_html(result, tmp_path / f"report_{lang}.html", lang=lang, generated=GENERATED, **kw)
    return path.read_text(encoding="utf-8")


def test_the_report_names_the_rulebooks_near_distance(tmp_path, result):
    """A rulebook may time visits from another distance than the standard's 2 m: the visit table's headings, the
    timeline's hint and the verdicts' help name the one the visits were graded with, and the JSON keeps it."""
    assert "Within 2 m" in _render(tmp_path, result, "en") and "进入 2 米" in _render(tmp_path, result, "zh")
    result.near_m = 1.5
    en, zh = _render(tmp_path, result, "en"), _render(tmp_path, result, "zh")
    assert "Within 1.5 m" in en and "Left 1.5 m" in en and "came within 1.5 m" in en
    assert not re.search(r"\b2 m\b", en)
    assert "进入 1.5 米" in zh and "离开 1.5 米范围" in zh and "2 米" not in zh
    back = read_findings_json(write_findings_json(result, tmp_path / "findings.json", generated=GENERATED))
    assert back.near_m == 1.5


def test_html_self_contained(tmp_path, result):
    page = _render(tmp_path, result)
    assert page.startswith("<!DOCTYPE html>")
    # the only URLs allowed are the SVG namespace identifier
    urls = set(re.findall(r"https?://[^\s\"'<>)]+", page))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls
    assert "<script" not in page.lower().replace("&lt;script&gt;", "")
    assert not re.search(r"<link[^>]+stylesheet", page, re.I)
    assert not re.search(r"""(src|href)=["'](?!data:|#)""", page), "only data URIs and in-page anchors"
    assert "@import" not in page and "url(" not in page


def test_html_content(tmp_path, result):
    page = _render(tmp_path, result)
    assert '<svg id="timeline"' in page and '<svg id="trunk-plot"' in page
    assert page.count('<article class="card') == len(result.findings)
    for n in range(1, len(result.findings) + 1):
        assert f'id="finding-{n}"' in page and f'href="#finding-{n}"' in page  # card + timeline link
    # keyframes embedded as base64 JPEG; the big PNG is re-encoded and downscaled
    uris = re.findall(r'<img class="keyframe" src="data:image/jpeg;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(uris) == 6
    for b64 in uris:
        img = cv2.imdecode(np.frombuffer(base64.b64decode(b64), np.uint8), cv2.IMREAD_COLOR)
        assert img is not None and img.shape[1] <= 960
    # trunk line broken at the two NaN gaps: three sub-paths
    d = re.search(r'<path class="trunk" d="([^"]+)"', page).group(1)
    assert d.count("M") == 3
    assert page.count('<g class="peak">') == 2
    # banner for the partial input, score, wording quoted, visits
    assert 'class="banner"' in page and "stream stopped after 180.0 s" in page
    assert ">50<small>/100" in page
    assert WORDING_GREET in page
    assert 'id="visit-1"' in page and 'id="visit-2"' in page
    # only the visit whose customer walked out of the picture says so, in its own row
    rows = {n: re.search(rf'<tr id="visit-{n}">(.*?)</tr>', page).group(1) for n in (1, 2, 3)}
    assert "走出画面" in rows[2] and "走出画面" not in rows[1]
    # and only the pass-by is marked as one
    assert "路过" in rows[3] and not any("路过" in rows[n] for n in (1, 2))
    assert "达标" in page and "迟到" in page and "未做到" in page and "违规" in page and "无法评估" in page
    assert "legs not visible from this camera" in page


def test_html_escapes_text(tmp_path, result):
    page = _render(tmp_path, result)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "counter3 &lt;branch&gt; &amp; co.mp4" in page


def test_html_languages_differ(tmp_path, result):
    zh, en = _render(tmp_path, result, "zh"), _render(tmp_path, result, "en")
    assert 'lang="zh-CN"' in zh and 'lang="en"' in en
    assert "柜面服务礼仪检查报告" in zh and "柜面服务礼仪检查报告" not in en
    assert "Counter service etiquette review" in en
    for word in ("Late", "Missed", "Violation", "Not assessable", "Stand to greet"):
        assert word in en
    with pytest.raises(ValueError):
        render_report_html(result, "fr")


def test_html_bow_bands_and_no_data(tmp_path, result):
    page = _render(tmp_path, result, bow_bands=[("致意", 10, 20), ("致谢", 25, 35), ("致歉", 45, 90)])
    assert page.count('class="band"') == 3 and "band apology" not in page
    empty = ReviewResult(source="empty.mp4", duration_s=0.0, analysed_frames=0, image_width=0, image_height=0)
    page = _render(tmp_path, empty, "en")
    assert '<svg id="timeline"' in page and "trunk-plot" not in page
    assert "nothing assessable" in page and 'class="banner"' not in page


def test_html_missing_image_open_visit_and_unmeasured(tmp_path, result):
    result.findings[0].evidence_image = "keyframes/gone.jpg"
    result.findings[1].measured_value = float("nan")
    result.visits[1].leave_s = None
    page = _render(tmp_path, result, "en")
    assert "keyframe image missing" in page and "keyframes/gone.jpg" in page
    assert page.count('<img class="keyframe"') == 5
    assert 'class="visit open"' in page
    csv_rows = list(csv.DictReader(write_findings_csv(result, tmp_path / "f.csv").open(encoding="utf-8-sig")))
    assert csv_rows[1]["measured_value"] == ""
    doc = json.loads(write_findings_json(result, tmp_path / "f.json").read_text(encoding="utf-8"))
    assert doc["findings"][1]["measured_value"] is None and doc["visits"][1]["handling_s"] is None


def test_html_linked_images(tmp_path, result):
    page = _render(tmp_path, result, images_inline=False)
    assert 'src="keyframes/f001.jpg"' in page and "data:image/jpeg" not in page


def test_reception_kind_and_clock():
    assert reception_kind(KINDS["CC-2.6-stand-greet"]) == "greet"
    assert reception_kind(KINDS["CC-2.6b-stand-send-off"]) == "send_off"
    assert reception_kind(KINDS["DB-6.2-bow-greet"]) is None
    assert reception_kind(KINDS["CC-1.7-lying-on-desk"]) is None
    assert fmt_clock(65.34) == "01:05.3" and fmt_clock(3725.0, 0) == "1:02:05" and fmt_clock(None) == "—"


# ---------------------------------------------------------------- terminal


def test_summary_table(result):
    from rich.console import Console

    for lang, word in (("zh", "违规"), ("en", "Violation")):
        table = summary_table(result, lang)
        assert table.row_count == 7 + 0  # one row per rule (bow-form is also a finding, so no extra row)
        console = Console(width=160, record=True)
        console.print(table)
        text = console.export_text()
        assert word in text and "CC-1.7-lying-on-desk" in text and "50/100" in text


# ---------------------------------------------------------------- headless Chromium


def _chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


def _run_chromium(exe: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-extensions", "--disable-dev-shm-usage",
           "--hide-scrollbars", "--force-device-scale-factor=1", f"--user-data-dir={profile}",
           "--enable-logging=stderr", "--v=0", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def _screenshot(exe: str, profile: Path, url: str, shot: Path, width: int, height: int):
    """Headless Chromium's picture of ``url`` at ``width`` × ``height``, checked written, of that size, not blank
    and without console errors; returns the image (BGR)."""
    png = _run_chromium(exe, profile, f"--screenshot={shot}", f"--window-size={width},{height}", url)
    assert png.returncode == 0, png.stderr[-2000:]
    bad = _console_lines(png.stderr)
    assert not bad, "console errors while rendering the page:\n" + "\n".join(bad)
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[:2] == (height, width)
    assert float(img.std()) > 10, "the screenshot is blank"
    return img


# Chromium logs page console messages as ``…:INFO:CONSOLE:1] "message", source: …`` (older: ``CONSOLE(1)``).
# The report has no scripts, so any console line at all is a failure.
_CONSOLE_ERROR = re.compile(r"\bCONSOLE[:(]\d+|Uncaught|Failed to load resource|net::ERR_")


def _console_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if _CONSOLE_ERROR.search(line)]


def test_chromium_renders_report(tmp_path, result):
    exe = _chromium()
    if exe is None:
        if os.environ.get("CI"):
            pytest.fail("headless Chromium is required in CI (install the Debian package `chromium`)")
        pytest.skip("chromium not installed (apt-get install chromium); this test never skips in CI")
    page = write_report_html(result, tmp_path / "report.html", lang="zh", generated=GENERATED)
    url = page.resolve().as_uri()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "report_screenshot.png"
    shot.unlink(missing_ok=True)

    t0 = time.monotonic()
    dom = _run_chromium(exe, tmp_path / "profile-dom", "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert '<svg id="timeline"' in html and '<svg id="trunk-plot"' in html
    assert html.count('<img class="keyframe"') == 6
    assert html.count('<article class="card') == len(result.findings)
    bad = _console_lines(dom.stderr)
    assert not bad, "console errors while loading the report:\n" + "\n".join(bad)
    assert not re.search(r"""\s(src|href)=["'](?!data:|#)""", html), "the rendered page references a file or URL"

    _screenshot(exe, tmp_path / "profile-shot", url, shot, 1280, 2400)
    assert time.monotonic() - t0 < 40

    # the console check itself still works with this Chromium (its log format is not an API)
    broken = tmp_path / "broken.html"
    broken.write_text('<!DOCTYPE html><html><body><script>console.error("boom"); undefinedFn();</script></body></html>')
    probe = _run_chromium(exe, tmp_path / "profile-probe", "--dump-dom", broken.resolve().as_uri())
    assert len(_console_lines(probe.stderr)) >= 1, "Chromium no longer logs console errors where the test looks"
