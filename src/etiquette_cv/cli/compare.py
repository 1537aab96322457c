"""``etiquette compare``: two or more scored attempts of one scenario side by side, and the history page."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..report.compare_page import LABELS, write_compare_pages
from ..training.compare import compare_attempts
from ..training.results_json import ScoreFileError, read_score_json
from .common import console, fail


def compare(
    attempts: Annotated[list[Path], typer.Argument(help="score.json files of the attempts, oldest first (≥ 2).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for compare.html and history.html.")]
    = Path("out/compare"),
    lang: Annotated[str, typer.Option(help="Page language: zh or en.")] = "zh",
) -> None:
    """Compare attempts: the last two step by step (improved / worse / same), all of them in history.html."""
    if lang not in ("zh", "en"):
        fail(f"--lang: expected zh or en, got {lang!r}")
    if len(attempts) < 2:
        fail("give at least two score.json files (oldest first)")
    try:
        results = [read_score_json(p) for p in attempts]
        names = [p.parent.name or p.name for p in attempts]
        if len(set(names)) < len(names):
            names = [f"#{i + 1} {n}" for i, n in enumerate(names)]
        changes = compare_attempts(results[-2], results[-1])
        cmp_path, hist_path = write_compare_pages(results, names, out, lang)
    except (ScoreFileError, ValueError, OSError) as exc:
        fail(str(exc))
    for c in changes:
        title, why = (c.title_zh, c.why_zh) if lang == "zh" else (c.title_en, c.why_en)
        console.print(f"{title}: {LABELS[lang][c.change]} ({why})", highlight=False, markup=False)
    console.print(f"compare: {cmp_path}; history: {hist_path}", highlight=False)
