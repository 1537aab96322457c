"""Trainer mode as a library call: a recorded role-play (or its tracks) + a scenario → score.json, score.html.

video → people (tracks) → the trainee's posture and events → the scenario's steps scored → the score sheet with each
step's keyframe and the trunk-angle curve. With a floor calibration the trainee is the clerk and everything the
review measures is available (the 2 m cue included); without one the trainee is chosen from the people seen
(:mod:`etiquette_cv.training.trainee`), sit/stand comes from the image (:mod:`etiquette_cv.posture.uncalibrated`),
and the steps that need the floor or a true-vertical angle are reported not assessable with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from ..core import FramePoses
from ..geometry.calibration import Calibration, load_calibration
from ..geometry.image_line import ImageLine
from ..io.tracks import read_tracks
from ..people.stage import PeopleConfig
from ..report.score_keyframes import write_step_keyframes
from ..report.score_page import write_score_html
from ..report.score_video import write_score_video
from ..rules.rulebook import Rulebook, load_rulebook
from ..training.results import ScoreResult
from ..training.results_json import write_score_json
from ..training.scenario import Scenario, load_scenario
from ..training.scoring import score_attempt
from ..training.texts import metres_text
from .people_run import open_video_for, run_people
from .score_live import LiveScorer
from .trainee_events import join_trainee_tracklets, joined_hint, joined_note, scored_events, skyline_px

INCOMPLETE = ("the pose run did not finish: only the part of the recording that was read is scored",
              "姿态分析未完成：只评定了已读取的部分")

@dataclass
class ScoreOutputs:
    """Where trainer mode wrote its results."""

    out_dir: Path
    score_json: Path
    score_html: Path
    tracks: Path
    keyframes: list[Path]
    coaching_video: Path | None = None


def score_video(video: str | Path | None, scenario: str | Path, out_dir: str | Path, *,
                calibration: str | Path | None = None, tracks_path: str | Path | None = None,
                rulebook: str | Path | None = None, lang: str = "zh", fps: float = 10.0, model: str = "full",
                annotate: str | Path | None = None, on_frame: Callable[[FramePoses], None] | None = None,
                live: Callable[[str], None] | None = None, live_every_s: float = 2.0, trainee: str | int = "auto",
                cue_line: ImageLine | None = None) -> tuple[ScoreResult, ScoreOutputs]:
    """Score a role-play recording (or its tracks file) against a scenario (a path or a shipped name): the
    trainee's events, each step's verdict and points, score.json and score.html (with keyframes when the video is
    given) in ``out_dir``; ``annotate``: also write the coaching video there (needs the video). ``live``: while the
    video is read, every ``live_every_s`` seconds of it, the lines of :class:`~.score_live.LiveScorer` (the live
    angle, the next step, each step's verdict once decided) are passed to this callable. ``trainee``: who the trainee
    is when the automatic choice is wrong (:func:`~etiquette_cv.training.trainee.parse_trainee_hint`). ``cue_line``:
    without a calibration, the 2 m line marked on the floor, seen in the image (the 2 m cue from it)."""
    if annotate is not None and video is None:
        raise ValueError("--annotate draws on the video: give the video as well as the tracks")
    rb = load_rulebook(rulebook)
    sc = load_scenario(scenario, rb)          # bad input fails before the long run
    cal = load_calibration(calibration) if calibration is not None else None
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if tracks_path is None:
        if video is None:
            raise ValueError("score needs a video or a tracks file")
        source = open_video_for(video, cal, calibration, fps)
        tracks_path = out / "tracks.jsonl.gz"
        run_people(source, tracks_path, cal, PeopleConfig(model=model),
                   on_frame=_live_hook(on_frame, live, sc, rb, cal, lang, live_every_s, trainee, cue_line))
    tracks = read_tracks(tracks_path)
    frames, joined = join_trainee_tracklets(tracks.frames, cal, rb)
    name = str(video or tracks_path)
    events, chosen = scored_events(frames, cal, rb, name, joined_hint(trainee, joined), cue_line)
    skyline = skyline_px(cal)
    result = score_attempt(sc, events, name)
    result.notes.insert(0, chosen.how_en if chosen else "nobody was posed in the recording")
    result.notes_zh.insert(0, chosen.how_zh if chosen else "录像中未检测到人")
    note = joined_note(chosen, joined)
    if note is not None:
        result.notes.insert(1, note[0])
        result.notes_zh.insert(1, note[1])
    if cue_line is not None:
        en, zh = cue_line_note(cue_line, events.cues, events.near_m)
        result.notes.append(en)
        result.notes_zh.append(zh)
    if events.cue_note is not None:
        result.notes.append(events.cue_note[0])
        result.notes_zh.append(events.cue_note[1])
    if events.curve_note is not None and len(events.t_s):
        result.notes.append(events.curve_note[0])
        result.notes_zh.append(events.curve_note[1])
    if tracks.footer is None or not tracks.footer.complete:
        result.notes.append(INCOMPLETE[0])
        result.notes_zh.append(INCOMPLETE[1])
    keyframes: list[Path] = []
    coaching = None
    if video is not None and chosen is not None:
        vis = rb.measure("posture", "visibility")
        private = None if cal is None else cal.privacy
        keyframes = write_step_keyframes(video, result, frames, chosen.track_id, out / "keyframes", skyline, vis,
                                         private)
        if annotate is not None:
            coaching = write_score_video(video, Path(annotate), result, events, frames, chosen.track_id, skyline,
                                         fps, lang, vis, private, cue_line)
    return result, ScoreOutputs(out, write_score_json(result, events, out / "score.json"),
                                write_score_html(result, events, out / "score.html", lang, _bands(rb)),
                                Path(tracks_path), keyframes, coaching)


def cue_line_note(line: ImageLine, cues: dict[str, float | None], near_m: float = 2.0) -> tuple[str, str]:
    """The sheet's note (English, Chinese) on the cue of the near distance ``near_m`` (metres) taken from a line
    marked on the floor."""
    d = metres_text(near_m)
    a = f"({line.a_px[0]:.0f}, {line.a_px[1]:.0f})"
    b = f"({line.b_px[0]:.0f}, {line.b_px[1]:.0f})"
    near, leave = cues.get("customer_near"), cues.get("customer_leave")
    when_en = "; ".join(x for x in (f"a customer crossed it toward the counter at {near:.1f} s" if near is not None
                                    else "", f"went back out at {leave:.1f} s" if leave is not None else "") if x)
    when_zh = "，".join(x for x in (f"客户于{near:.1f}秒越线走向柜台" if near is not None else "",
                                   f"于{leave:.1f}秒走出该线" if leave is not None else "") if x)
    return (f"no floor calibration: the {d} m cue is taken from the line marked on the floor, {a} to {b} in the "
            f"image (--cue-line)" + (f": {when_en}" if when_en else ""),
            f"无标定：{d}米提示取自地面标出的线（画面中{a}至{b}，--cue-line）" + (f"：{when_zh}" if when_zh else ""))


def _live_hook(on_frame: Callable[[FramePoses], None] | None, live: Callable[[str], None] | None, sc: Scenario,
               rb: Rulebook, cal: Calibration | None, lang: str, every_s: float, trainee: str | int = "auto",
               cue_line: ImageLine | None = None) -> Callable[[FramePoses], None] | None:
    """``on_frame`` extended with the live scorer's lines sent to ``live`` (itself when ``live`` is None)."""
    if live is None:
        return on_frame
    scorer = LiveScorer(sc, rb, cal, lang, every_s, trainee, cue_line=cue_line)

    def hook(poses: FramePoses) -> None:
        if on_frame is not None:
            on_frame(poses)
        for line in scorer.add(poses):
            live(line)
    return hook


def _bands(rb: Rulebook) -> list[tuple[str, float, float]]:
    return [(c.name_zh, c.min_deg, c.max_deg) for c in rb.bow_classes]
