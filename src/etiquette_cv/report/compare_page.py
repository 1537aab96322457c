"""Trainer mode's comparison pages: two attempts side by side (``compare.html``) and a trainee's history over
several attempts (``history.html``), rendered by Jinja2 (autoescape on), self-contained."""

from __future__ import annotations

from pathlib import Path

from ..training.compare import StepChange, compare_attempts
from ..training.results import ScoreResult
from ..training.texts import verdict_text
from .page import _ENV
from .score_page import VERDICT_CLASS

LABELS = {
    "zh": {"compare": "两次练习对比", "history": "练习记录", "step": "步骤", "change": "变化", "score": "得分",
           "attempt": "第{n}次", "improved": "进步", "worse": "退步", "same": "不变", "not_comparable": "无法比较",
           "total": "总分"},
    "en": {"compare": "Two attempts compared", "history": "Training history", "step": "Step", "change": "Change",
           "score": "Score", "attempt": "Attempt {n}", "improved": "improved", "worse": "worse", "same": "same",
           "not_comparable": "not comparable", "total": "Total"},
}


def _cell(s, lang: str) -> dict | None:
    if s is None:
        return None
    pts = "—" if s.verdict == "not_assessable" else f"{s.points_awarded:g} / {s.points_possible:g}"
    return {"verdict": verdict_text(s.verdict, lang), "cls": VERDICT_CLASS[s.verdict], "points": pts,
            "message": getattr(s, f"message_{lang}")}


def _pct(r: ScoreResult) -> str:
    return "—" if r.score_pct is None else f"{r.score_pct:.0f}"


def render_compare_html(before: ScoreResult, after: ScoreResult, lang: str = "zh",
                        names: tuple[str, str] = ("A", "B")) -> str:
    """Two attempts of one scenario side by side, each step marked improved / worse / same."""
    changes: list[StepChange] = compare_attempts(before, after)
    L = LABELS[lang]
    rows = [{"title": c.title_zh if lang == "zh" else c.title_en, "a": _cell(c.before, lang),
             "b": _cell(c.after, lang), "change": c.change, "change_text": L[c.change],
             "why": c.why_zh if lang == "zh" else c.why_en} for c in changes]
    return _ENV.get_template("compare.html.j2").render(
        L=L, lang=lang, mode="compare", title=before.scenario_title_zh if lang == "zh" else before.scenario_title_en,
        names=names, rows=rows, scores=[_pct(before), _pct(after)], attempts=[], history=[])


def render_history_html(attempts: list[ScoreResult], names: list[str], lang: str = "zh") -> str:
    """Several attempts of one scenario in order: each step's verdict and points per attempt, and the scores."""
    for a in attempts[1:]:
        if a.scenario != attempts[0].scenario:
            raise ValueError(f"the attempts are of different scenarios ({attempts[0].scenario} and {a.scenario})")
    L = LABELS[lang]
    order = [s for s in attempts[0].steps]
    history = []
    for s in order:
        cells = [_cell(next((x for x in a.steps if x.step_id == s.step_id), None), lang) for a in attempts]
        history.append({"title": s.title_zh if lang == "zh" else s.title_en, "cells": cells})
    first = attempts[0]
    return _ENV.get_template("compare.html.j2").render(
        L=L, lang=lang, mode="history", title=first.scenario_title_zh if lang == "zh" else first.scenario_title_en,
        names=names, rows=[], scores=[_pct(a) for a in attempts], attempts=attempts, history=history)


def write_compare_pages(attempts: list[ScoreResult], names: list[str], out_dir: Path, lang: str = "zh"
                        ) -> tuple[Path, Path]:
    """``compare.html`` (the last two attempts) and ``history.html`` (all of them) in ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cmp_path, hist_path = out_dir / "compare.html", out_dir / "history.html"
    cmp_path.write_text(render_compare_html(attempts[-2], attempts[-1], lang, (names[-2], names[-1])),
                        encoding="utf-8")
    hist_path.write_text(render_history_html(attempts, names, lang), encoding="utf-8")
    return cmp_path, hist_path
