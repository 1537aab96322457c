"""Trainer mode, live: frames arrive one by one (a webcam, or a file played as live); every ``every_s`` seconds of
video the attempt so far is scored again, and the trainee is told the live trunk angle against the current step's
band, the step to do next, and each step's verdict once it is decided (its event over, or its window closed).

The verdict of a step can only be given once it is decided: a bow is judged when it ends, a missing step when its
late allowance has passed. Scoring again from the start each time costs more as the recording grows (a role-play is
a minute or two); the final score is the same as ``etiquette score`` on the recording.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core import FramePoses
from ..geometry.calibration import Calibration
from ..geometry.image_line import ImageLine
from ..report.score_video import decided_at
from ..rules.rulebook import Rulebook
from ..training.results import ScoreResult
from ..training.scenario import Scenario
from ..training.scoring import score_attempt
from ..training.texts import verdict_text
from .trainee_events import join_trainee_tracklets, joined_hint, scored_events


@dataclass
class LiveScorer:
    """Scores an attempt as its frames arrive; :meth:`add` returns the lines to show."""

    scenario: Scenario
    rulebook: Rulebook
    calibration: Calibration | None = None
    lang: str = "zh"
    every_s: float = 1.0
    trainee_hint: str | int = "auto"
    """Who the trainee is (:func:`~etiquette_cv.training.trainee.parse_trainee_hint`); until that person has been
    seen, the automatic choice."""
    cue_line: ImageLine | None = None
    """Without a calibration, the 2 m line marked on the floor (the 2 m cue from it)."""
    frames: list[FramePoses] = field(default_factory=list)
    announced: set[str] = field(default_factory=set)
    last_s: float = -1e9
    result: ScoreResult | None = None

    def add(self, poses: FramePoses) -> list[str]:
        """Take one analysed frame; every ``every_s`` of video, score again and return what to show (empty
        otherwise)."""
        self.frames.append(poses)
        if poses.timestamp_s - self.last_s < self.every_s:
            return []
        self.last_s = poses.timestamp_s
        return self.update()

    def update(self) -> list[str]:
        """Score the frames so far: newly decided steps with their verdicts, then the live angle and next step."""
        if len(self.frames) < 2:
            return []
        now = self.frames[-1].timestamp_s
        frames, joined = join_trainee_tracklets(self.frames, self.calibration, self.rulebook)
        hint = joined_hint(self.trainee_hint, joined)
        try:
            events, _ = scored_events(frames, self.calibration, self.rulebook, "live", hint, self.cue_line)
        except ValueError:   # the person named has not been seen yet
            events, _ = scored_events(frames, self.calibration, self.rulebook, "live", cue_line=self.cue_line)
        self.result = score_attempt(self.scenario, events, "live")
        zh = self.lang == "zh"
        lines = []
        pending = None
        for n, s in enumerate(self.result.steps, 1):
            if decided_at(s) > now:
                pending = (n, s)
                break
            if s.step_id not in self.announced:
                self.announced.add(s.step_id)
                lines.append(f"[{verdict_text(s.verdict, self.lang)}] {n}. "
                             f"{s.message_zh if zh else s.message_en}")
        lines.append(self._status(now, events, pending))
        return lines

    def _status(self, now: float, events, pending) -> str:
        """``t = …  trunk …°  next: step (band)``."""
        zh = self.lang == "zh"
        angle = ""
        if len(events.t_s) and np.isfinite(events.flexion_deg[-1]):
            angle = f"  {'躯干' if zh else 'trunk'} {events.flexion_deg[-1]:.0f}°"
        nxt = ""
        if pending is not None:
            n, s = pending
            band = f" ({s.band_deg[0]:g}–{s.band_deg[1]:g}°)" if s.band_deg else ""
            nxt = f"  {'下一步' if zh else 'next'}: {n}. {s.title_zh if zh else s.title_en}{band}"
        return f"t = {now:5.1f} s{angle}{nxt}"
