"""Trainer mode's score sheet: ``score.html``, one self-contained page rendered by Jinja2 (autoescape on) from
``templates/score.html.j2``: the total, each step's verdict with the measured value against its threshold, the
coaching text in both languages, the step's keyframe, and the trainee's trunk-angle curve with the bow bands."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from ..rules.findings import ReviewResult, Series
from ..training.results import ScoreResult
from ..training.stream import TraineeEvents
from ..training.texts import AVOID_TEXT, verdict_text
from .page import SCORE_FAIR, SCORE_GOOD, _ENV, _image_data_uri
from .svg import TimeAxis, axis_end, el, trunk_svg

PLOT_TOP_PX, PLOT_HEIGHT_PX = 12.0, 250.0
"""The trunk plot's drawing area (svg.trunk_svg's), where the step markers go."""

VERDICT_CLASS = {"done": "met", "late": "late", "wrong_class": "missed", "wrong_form": "late",
                 "out_of_order": "late", "missing": "missed", "not_assessable": "nass"}
LABELS = {
    "zh": {"title": "礼仪实训评分表", "scenario": "情景", "source": "视频", "duration": "时长", "score": "得分",
           "points": "分", "steps": "逐步评定", "step": "步骤", "verdict": "结论", "measured": "测量与要求",
           "coaching": "改进建议", "curve": "躯干前倾角", "notes": "说明", "none": "无可评定步骤",
           "generated": "生成时间", "not_assessable_points": "无法评定的步骤不计分",
           "curve_hint": "横轴为时间（秒），纵轴为躯干前倾角；色带为规则集中的鞠躬类别范围，圆点为各鞠躬的最低点。",
           "avoid": "应避免的手势", "avoid_none": "未见应避免的手势。",
           "avoid_hint": "DB21/T 2641-2016 表4：避免随意用手摆弄物品、衣服、头发，避免摆手或摇头表示“不知道”等（不计分，供改进参考）。"},
    "en": {"title": "Etiquette training score sheet", "scenario": "Scenario", "source": "Video",
           "duration": "Duration", "score": "Score", "points": "points", "steps": "Steps", "step": "Step",
           "verdict": "Verdict", "measured": "Measured against the threshold", "coaching": "Coaching",
           "curve": "Trunk angle", "notes": "How the recording was read", "none": "no step could be assessed",
           "generated": "Generated", "not_assessable_points": "steps not assessable earn and cost nothing",
           "curve_hint": "Time (s) across, trunk flexion up; the shaded bands are the rulebook's bow classes, the "
                         "dots each bow's deepest point.",
           "avoid": "Gestures to avoid", "avoid_none": "No gesture to avoid was seen.",
           "avoid_hint": "DB21/T 2641-2016 table 4: avoid fiddling with objects, clothes or hair, and waving a hand "
                         "or shaking the head to mean \"don't know\" (no points: for coaching)."},
}


def _score_class(pct: float | None) -> str:
    if pct is None:
        return "none"
    return "good" if pct >= SCORE_GOOD else "fair" if pct >= SCORE_FAIR else "poor"


def _curve(result: ScoreResult, events: TraineeEvents, lang: str, bands: list[tuple[str, float, float]]):
    """The trunk-angle plot (the review's, with the bow bands) or None without a curve."""
    if events is None or len(events.t_s) == 0 or not np.isfinite(events.flexion_deg).any():
        return None
    peaks = [(e.peak_t_s, e.peak_angle_deg, "bow", "trainee") for e in events.of_kind("bow")
             if math.isfinite(e.peak_angle_deg)]
    stub = ReviewResult(result.source, result.duration_s, len(events.t_s), 0, 0, bow_peaks=peaks)
    t = np.asarray(events.t_s, float)
    series = Series("trunk_flexion_deg", "deg", t, np.asarray(events.flexion_deg, float))
    plot = trunk_svg(stub, lang, "trainee", series, bands)
    ax = TimeAxis(0.0, max(axis_end(stub), float(np.nanmax(t))))
    for n, s in enumerate(result.steps, 1):  # each step's moment, numbered as on the cards
        if s.evidence_t_s is None:
            continue
        x = ax.x(s.evidence_t_s)
        plot.children.append(el("g", {"class": f"step-mark {VERDICT_CLASS[s.verdict]}"},
                                el("line", {"x1": f"{x:.1f}", "y1": PLOT_TOP_PX, "x2": f"{x:.1f}",
                                            "y2": PLOT_TOP_PX + PLOT_HEIGHT_PX}),
                                el("text", {"x": f"{x + 4:.1f}", "y": PLOT_TOP_PX + 14}, text=str(n)),
                                title=s.title_zh if lang == "zh" else s.title_en))
    return plot


def _avoided_item(e, lang: str) -> dict:
    """One gesture to avoid as the score sheet lists it (seconds, both languages)."""
    other = "en" if lang == "zh" else "zh"
    what, coaching = AVOID_TEXT[e.kind][lang]
    return {"kind": e.kind, "what": what, "coaching": coaching,
            "when": f"{e.start_s:.1f}–{e.end_s:.1f} s ({e.duration_s:.1f} s)",
            "other": " — ".join(AVOID_TEXT[e.kind][other])}


def render_score_html(result: ScoreResult, events: TraineeEvents | None, lang: str = "zh",
                      bands: list[tuple[str, float, float]] | None = None, keyframe_dir: Path | None = None,
                      generated: datetime | None = None) -> str:
    """The score sheet as one HTML string (keyframes ``step_<id>.jpg`` from ``keyframe_dir`` inlined)."""
    other = "en" if lang == "zh" else "zh"
    steps = []
    for n, s in enumerate(result.steps, 1):
        img = keyframe_dir / f"step_{s.step_id}.jpg" if keyframe_dir is not None else None
        steps.append({
            "n": n, "id": s.step_id, "title": s.title_zh if lang == "zh" else s.title_en,
            "title_other": s.title_en if lang == "zh" else s.title_zh,
            "verdict": verdict_text(s.verdict, lang), "verdict_other": verdict_text(s.verdict, other),
            "cls": VERDICT_CLASS[s.verdict], "raw_verdict": s.verdict,
            "points": f"{s.points_awarded:g} / {s.points_possible:g}" if s.verdict != "not_assessable" else "—",
            "message": getattr(s, f"message_{lang}"), "message_other": getattr(s, f"message_{other}"),
            "coaching": getattr(s, f"coaching_{lang}"), "coaching_other": getattr(s, f"coaching_{other}"),
            "image": _image_data_uri(img, 480) if img is not None and img.exists() else None,
        })
    pct = result.score_pct
    L = LABELS[lang]
    avoided = [_avoided_item(e, lang) for e in result.to_avoid]
    notes = result.notes_zh if lang == "zh" else result.notes
    css = (Path(__file__).parent / "templates" / "report.css").read_text(encoding="utf-8")
    return _ENV.get_template("score.html.j2").render(
        L=L, lang=lang, css=css, result=result, steps=steps, notes=notes, avoided=avoided,
        title=result.scenario_title_zh if lang == "zh" else result.scenario_title_en,
        score=None if pct is None else f"{pct:.0f}", score_cls=_score_class(pct),
        points=f"{result.points_awarded:g} / {result.points_possible:g}",
        plot=_curve(result, events, lang, bands or []),
        generated=(generated or datetime.now(timezone.utc)).strftime("%Y-%m-%d %H:%M UTC"))


def write_score_html(result: ScoreResult, events: TraineeEvents | None, path: str | Path, lang: str = "zh",
                     bands: list[tuple[str, float, float]] | None = None) -> Path:
    """Write ``score.html`` (keyframes from ``keyframes/`` beside it, inlined) and return its path."""
    p = Path(path)
    p.write_text(render_score_html(result, events, lang, bands, p.parent / "keyframes"), encoding="utf-8")
    return p
