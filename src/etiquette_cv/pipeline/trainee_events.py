"""The trainee's event stream from the analysed frames of a recording: who the trainee is, their stance changes,
bows, upright spells and gestures, and the customer cues — with a floor calibration (the clerk, everything the
review measures) or without one (:mod:`etiquette_cv.posture.uncalibrated`: the cues not assessable, bow classes only
when the trainee is seen from the side enough — facing the camera, only a deep bow's least depth — each with the
reason)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..core import FramePoses
from ..events import Bend, detect_bends, detect_gestures, hysteresis_intervals
from ..geometry.calibration import Calibration
from ..geometry.floor import counter_skyline_px
from ..geometry.image_line import ImageLine
from ..geometry.solver import solve_camera
from ..people.stitch import join_tracklets
from ..posture.clerk import hide_behind_counter
from ..posture.gestures import low_hand_tilt_deg, low_wave_deg, measure_gestures, measure_hand_contact
from ..posture.head import head_shake_deg, head_yaw_deg, steady_head_turns
from ..posture.limbs import hand_at_head, hand_head_motion
from ..posture.uncalibrated import measure_uncalibrated
from ..rules.graders import posture_rule_intervals
from ..rules.rulebook import Rulebook
from ..timeseries import median_step_s, true_runs
from ..training.arrival import ArrivalCues, ArrivalSettings, arrival_cues
from ..training.stream import (TraineeEvent, TraineeEvents, approach_cues, bow_events, gesture_events,
                               line_crossers, line_cues, stance_events, standing_holds, trainee_side)
from ..training.texts import metres_text, with_near
from ..training.trainee import Trainee, choose_trainee
from .analysis import analyse

AVOID_HAIR_RULE = "DB-6.2-avoid-hair"
AVOID_SHAKE_RULE = "DB-6.2-avoid-headshake"
AVOID_WAVE_RULE = "DB-6.2-avoid-wavehand"
NO_CUE_ZH = "无标定：客户到柜台的距离未知，无法确定客户走到{near}米处的时刻（请用 --calibration，或在地面标出{near}米线并用 --cue-line 给出其两端）"
NOBODY = ("nobody was posed in the recording", "录像中未检测到人")
NO_STATION = ("the calibration has no clerk station", "标定文件中没有柜员工位")
NO_CUE = ("no floor calibration: the customer's distance to the counter is unknown, so the {near} m cue cannot "
          "be timed (give --calibration, or mark the {near} m line on the floor and give its two ends with --cue-line)")
NO_ARRIVAL = ("no floor calibration, and no customer was seen coming to a stop after the recording started: the "
              "{near} m cue cannot be timed (give --calibration, or mark the {near} m line on the floor and give its "
              "two ends with --cue-line)",
              "无标定，且录像开始后未见客户走来停下：无法确定客户走到{near}米处的时刻（请用 --calibration，或在地面标出{near}米线并用 "
              "--cue-line 给出其两端）")
NO_DEPARTURE = ("the customer was not seen walking away from the counter", "未见客户离开柜台")
NO_CROSSING = ("nobody but the trainee was seen crossing the marked {near} m line (--cue-line) toward the counter, "
               "from outside it", "未见学员以外的人从线外越过标出的{near}米线（--cue-line）走向柜台")
NO_LEAVING = ("nobody who had crossed the marked {near} m line (--cue-line) was seen going back out past it",
              "未见越过标出的{near}米线（--cue-line）的人再走出该线")
CROSSED = ("walked across the marked {near} m line: a customer", "走过标出的{near}米线：为客户")
NO_SIDE = ("the trainee's feet are not seen clearly on one side of the marked line (--cue-line): the counter's "
           "side of it is unknown", "学员的脚未清楚地位于标出的线的一侧：无法判断线的哪一侧靠近柜台")


TILT_CURVE = ("the trunk-angle curve is the tilt from the image vertical with the camera assumed level: shown, not "
              "graded", "躯干角度曲线按画面竖直方向估计（假定相机水平），仅供参考，不用于评分")


def near_texts(texts: tuple[str, ...], rb: Rulebook) -> tuple[str, ...]:
    """Texts that name the near distance (``{near}``) with the rulebook's, in metres."""
    return tuple(with_near(t, rb.near_m) for t in texts)


def side_curve_note(turned_deg: float) -> tuple[str, str]:
    """The note on a trunk-angle curve read from the image tilt of a trainee seen from the side (English, Chinese)."""
    return (f"no floor calibration: the trunk angle is read from the image tilt of the trainee seen from the side "
            f"(turned {turned_deg:.0f}° from the camera) and graded with its ±",
            f"无标定：躯干角度由学员侧身（与镜头成{turned_deg:.0f}°）时画面中的倾斜计算，按其误差范围评定")


def facing_camera_reason(turned_deg: float, min_turned_deg: float) -> tuple[str, str]:
    """Why no bow class is graded without a calibration when the trainee faces the camera (English, Chinese)."""
    seen = "never seen standing upright with hips and shoulders" if not np.isfinite(turned_deg) else \
        f"turned {turned_deg:.0f}° from the camera"
    seen_zh = "未见其直立站姿" if not np.isfinite(turned_deg) else f"学员朝向与镜头仅成{turned_deg:.0f}°"
    return (f"no floor calibration and the trainee {seen}: a bow toward the camera does not show in the image (the "
            f"angle is measured from the image when the trainee is turned at least {min_turned_deg:.0f}° from the "
            "camera) — put the phone at the trainee's side, 40°–90° off their front, or calibrate",
            f"无标定且{seen_zh}：朝向镜头的鞠躬在画面中看不出角度（学员侧对镜头至少{min_turned_deg:.0f}°时才按画面测量）"
            "——请把手机放在学员侧面（偏离正前方40°–90°），或进行标定")


def skyline_px(cal: Calibration | None, camera=None) -> np.ndarray | None:
    """The counter's top front edge in the image (pixels), None without a calibration; ``camera``: the calibration
    already solved (else it is solved here)."""
    if cal is None:
        return None
    camera = camera if camera is not None else solve_camera(cal)
    return np.asarray(counter_skyline_px(camera, cal.counter.edge_m, cal.counter.height_m,
                                         clerk_side=-cal.counter.customer_side))


def join_trainee_tracklets(frames: list[FramePoses], cal: Calibration | None, rb: Rulebook
                           ) -> tuple[list[FramePoses], dict[int, int]]:
    """Without a calibration, the frames with each person's broken tracks joined (:func:`~..people.stitch.
    join_tracklets`, the rulebook's ``measurement.trainee``) and the mapping joined id → kept id; with one, the
    frames as they are (the station ties a clerk's tracklets together)."""
    if cal is not None:
        return frames, {}
    s = rb.trainee_settings()
    return join_tracklets(frames, s.join_max_gap_s, s.join_max_shift)


def joined_hint(hint: str | int, joined: dict[int, int]) -> str | int:
    """A trainee named by number (``--trainee '#N'``) after their tracklets were joined: the number kept."""
    return joined.get(hint, hint) if isinstance(hint, int) else hint


def joined_note(trainee: Trainee | None, joined: dict[int, int]) -> tuple[str, str] | None:
    """The score sheet's note (English, Chinese) naming the tracklets joined into the trainee's, if any."""
    if trainee is None:
        return None
    parts = sorted(k for k, v in joined.items() if v == trainee.track_id)
    if not parts:
        return None
    ids = ", ".join(f"#{k}" for k in parts)
    return (f"person #{trainee.track_id} was lost and found again: tracklets {ids} (starting where #"
            f"{trainee.track_id} was last seen, soon after) are taken as the same person",
            f"#{trainee.track_id}曾短暂丢失：随后在其最后位置附近出现的轨迹{ids}视为同一人")


def scored_events(frames: list[FramePoses], cal: Calibration | None, rb: Rulebook, name: str,
                  trainee_hint: str | int = "auto", cue_line: ImageLine | None = None
                  ) -> tuple[TraineeEvents, Trainee | None]:
    """The trainee's event stream (seconds, degrees) from the analysed frames: with a calibration the clerk's
    (and the customer cues), without one the most-present person's; gestures in both cases. ``trainee_hint``
    (:func:`~etiquette_cv.training.trainee.parse_trainee_hint`) names who the trainee is when the automatic choice
    is wrong; ``cue_line``, without a calibration, the 2 m line marked on the floor (the 2 m cue from it)."""
    duration = frames[-1].timestamp_s - frames[0].timestamp_s if len(frames) > 1 else 0.0
    camera = None if cal is None else solve_camera(cal)
    if cal is not None:
        events, trainee = _calibrated_events(frames, cal, camera, rb, name, duration, trainee_hint)
    else:
        events, trainee = _uncalibrated_events(frames, rb, duration, trainee_hint, cue_line)
    events.near_m = rb.near_m
    slow = wave_too_slow(np.array([f.timestamp_s for f in frames], float), rb)
    if slow is not None and "*" not in events.not_measured:
        events.not_measured["wave"], events.reasons_zh[slow[0]] = slow
    if trainee is not None:
        moves = [(e.start_s, e.end_s) for e in events.events if e.kind in ("stand_up", "sit_down")]
        bows = [(e.start_s, e.end_s) for e in events.events if e.kind == "bow"]
        bows += _bent_spells(events.t_s, events.flexion_deg, rb.posture_settings().head_shake_max_flexion_deg)
        events.events += _gestures(frames, trainee.track_id, rb, skyline_px(cal, camera), events.t_s, events.standing,
                                   moves, camera, bows)
    return events, trainee


def _bent_spells(t_s: np.ndarray | None, flexion_deg: np.ndarray | None, min_deg: float) -> list[tuple[float, float]]:
    """(start, end) seconds of the stretches where the trainee's trunk was bent at least ``min_deg`` forward: the
    review grades no head shake there (``head_shake_max_flexion_deg``), and neither does trainer mode — a clerk
    lying on the desk turns a face MediaPipe barely sees (tuning avoid set t357/t361: false head shakes while lying
    on the desk)."""
    if t_s is None or flexion_deg is None or len(t_s) == 0:
        return []
    bent = np.nan_to_num(np.asarray(flexion_deg, float), nan=0.0) >= min_deg
    return [(float(t_s[a]), float(t_s[b - 1])) for a, b in true_runs(bent)]


def wave_too_slow(t_s: np.ndarray, rb: Rulebook) -> tuple[str, str] | None:
    """Why a farewell wave cannot be graded (English, Chinese) when the frames at times ``t_s`` (seconds) were
    analysed less often than the rulebook's ``wave_min_rate_hz``; None when often enough."""
    rate, need = 1.0 / median_step_s(t_s), rb.gesture_settings().wave_min_rate_hz
    if not rate < need:
        return None
    return (f"the frames were analysed at {rate:.1f} frames/s, fewer than the {need:g} a wave needs to be seen "
            "swinging", f"分析帧率{rate:.1f}帧/秒，低于识别挥手所需的{need:g}帧/秒")


def _gestures(frames: list[FramePoses], track_id: int, rb: Rulebook, skyline: np.ndarray | None,
              stance_t_s: np.ndarray | None = None, standing: np.ndarray | None = None,
              moves: list[tuple[float, float]] = (), camera=None, bows: list[tuple[float, float]] = ()) -> list:
    """The trainee's indicating, hand-over, wave and handshake gestures (landmarks hidden by the counter not
    used). A two-handed hand-over is looked for only while the trainee stands (when the stance is known): seated,
    forearms resting on the desk put both hands forward together at waist height — the hand-over's geometry —
    for as long as the clerk works (tuning role-play t301: a false hand-over for the 3 s the clerk sat typing) — and
    not within 0.5 s of a stand-up or sit-down (``moves``: onset to completion), when the hands push on the desk
    (tuning role-play t303 and the bundled reception clip: 0.5–0.7 s false hand-overs at each rise). An indicating
    gesture too is looked for only while the trainee stands: seated, forearms on the desk read as an arm extended and
    raised 55–70° (tuning role-play t311: a false one for 1.2 s); the scenarios indicate the seat after the stand-up
    and the bow. With a
    calibrated ``camera`` the arms are measured against the true vertical (:func:`~..posture.gestures.person_down`)."""
    any_poses = []     # the trainee as MediaPipe or the person detector saw them, what the counter hides hidden
    for f in frames:
        p = next((q for q in f.persons if q.track_id == track_id), None)
        if p is not None and skyline is not None and len(skyline) >= 2:
            p = hide_behind_counter(p, skyline)
        any_poses.append(p)
    poses = [p if p is not None and p.landmarks_source == "mediapipe" else None for p in any_poses]
    t = np.array([f.timestamp_s for f in frames], float)
    settings = rb.gesture_settings()
    features = measure_gestures(t, poses, settings, camera)
    features.hand_contact = measure_hand_contact(frames, track_id, settings, camera)
    # a hand held in another person's hand is shaking it, not indicating the seat (the arm extended forward reads as
    # raised: tuning role-play t311 from a tall tripod without its calibration, an "indicating gesture" 6.9-11.1 s
    # through a 4.5 s handshake)
    shaking = np.nan_to_num(np.asarray(features.hand_contact, float)) == 1.0
    features.indicate = np.where(shaking & np.isfinite(features.indicate), 0.0, features.indicate)
    if standing is not None and stance_t_s is not None and len(stance_t_s):
        k = np.clip(np.searchsorted(stance_t_s, t), 0, len(stance_t_s) - 1)
        seated = ~np.asarray(standing, bool)[k]
        features.hand_over = np.where(seated & np.isfinite(features.hand_over), 0.0, features.hand_over)
        features.indicate = np.where(seated & np.isfinite(features.indicate), 0.0, features.indicate)
    for a, b in moves:
        rising = (t >= a - settings.handover_move_margin_s) & (t <= b + settings.handover_move_margin_s)
        features.hand_over = np.where(rising & np.isfinite(features.hand_over), 0.0, features.hand_over)
    alone = ~_others_seen(frames, track_id, t, settings.handover_other_within_s)
    features.hand_over = np.where(alone & np.isfinite(features.hand_over), 0.0, features.hand_over)
    hands = _hand_offsets(poses, rb)
    low_waves = _low_waves(t, any_poses, rb)
    return _not_low_waves(_hair_touches(t, hands, rb, gesture_events(detect_gestures(features, settings))),
                          low_waves) + _head_shakes(t, poses, hands, rb, list(moves), list(bows)) + low_waves


def _others_seen(frames: list[FramePoses], track_id: int, t_s: np.ndarray, within_s: float) -> np.ndarray:
    """Per frame, whether anybody but ``track_id`` was seen within ``within_s`` seconds of it."""
    seen_at = np.array([f.timestamp_s for f in frames if any(p.track_id != track_id for p in f.persons)], float)
    if len(seen_at) == 0:
        return np.zeros(len(t_s), bool)
    k = np.clip(np.searchsorted(seen_at, t_s), 0, len(seen_at) - 1)
    nearest = np.minimum(np.abs(seen_at[k] - t_s), np.abs(seen_at[np.maximum(k - 1, 0)] - t_s))
    return nearest <= within_s


def _low_waves(t_s: np.ndarray, any_poses: list, rb: Rulebook) -> list[TraineeEvent]:
    """The trainee waving a hand in front of the chest for "don't know" (DB 表4: 摆手, to avoid), graded as the
    review grades the clerk (:func:`~..posture.gestures.low_wave_deg` on the image arms of ``any_poses``, the person
    detector's too, against the rulebook's ``DB-6.2-avoid-wavehand``; none without it). A farewell wave, the hand
    up at or above the shoulder, is not one."""
    rule = rb.find_rule(AVOID_WAVE_RULE)
    if rule is None:
        return []
    s = rb.gesture_settings()
    a = np.array([low_hand_tilt_deg(p, s) if p is not None else (np.nan, np.nan, False) for p in any_poses],
                 float).reshape(len(any_poses), 3)
    width = low_wave_deg(t_s, a[:, :2], a[:, 2] == 1.0, s)
    intervals = posture_rule_intervals(rule, t_s, width, rb.grading_settings())
    return [TraineeEvent("wave_no", iv.start_s, iv.start_s, iv.end_s) for iv in intervals]


def _not_low_waves(gestures: list[TraineeEvent], low_waves: list[TraineeEvent]) -> list[TraineeEvent]:
    """``gestures`` without the farewell waves that are mostly a hand waved in front of the chest: a safeguard (摆手
    is never the farewell wave), not seen needed on the tuning clips, where the wave detector — MediaPipe's world
    arm — found no wave during any 摆手."""
    def covered(e: TraineeEvent) -> float:
        inside = sum(max(0.0, min(e.end_s, w.end_s) - max(e.start_s, w.start_s)) for w in low_waves)
        return inside / max(e.end_s - e.start_s, 1e-6)
    return [e for e in gestures if e.kind != "wave" or covered(e) < 0.5]


def _hair_touches(t_s: np.ndarray, offsets: np.ndarray, rb: Rulebook, gestures: list[TraineeEvent]
                  ) -> list[TraineeEvent]:
    """``gestures`` with the trainee's hair touches added (DB 表4, fiddling with the hair: a gesture to avoid), graded
    as the review grades the clerk: a hand at the head moving about it (:func:`~..posture.limbs.hand_head_motion`;
    a phone held to the ear stays) for as long as the rulebook's ``DB-6.2-avoid-hair`` asks (``gestures`` alone
    without that rule). A touch that is for half its length or more a wave found at the same time is one or the
    other, by where the hand is: seen obliquely, a farewell wave's hand passes in front of the face, below the ears
    (tuning role-play t302: 0.72-0.86 of the ears-to-shoulders drop below them), and fingers in the hair swing the
    forearm like a wave (tuning t333: 0.37-0.63 below): the touch when the hand's median place lies no lower than
    ``hand_head_wave_below_ear`` drops, else the wave. ``offsets``: :func:`_hand_offsets` of the trainee's poses."""
    rule = rb.find_rule(AVOID_HAIR_RULE)
    if rule is None:
        return gestures
    ps = rb.posture_settings()
    motion = hand_head_motion(t_s, offsets, ps.hand_head_window_s)
    intervals = posture_rule_intervals(rule, t_s, motion, rb.grading_settings())
    out, dropped = [], set()
    waves = [g for g in gestures if g.kind == "wave"]
    for iv in intervals:
        overlap = sum(max(0.0, min(iv.end_s, g.end_s) - max(iv.start_s, g.start_s)) for g in waves)
        if overlap < 0.5 * iv.duration_s:
            out.append(TraineeEvent("touch_hair", iv.start_s, iv.start_s, iv.end_s))
            continue
        inside = (t_s >= iv.start_s) & (t_s <= iv.end_s) & np.isfinite(offsets[:, 1])
        if inside.any() and float(np.median(offsets[inside, 1])) <= ps.hand_head_wave_below_ear:
            out.append(TraineeEvent("touch_hair", iv.start_s, iv.start_s, iv.end_s))
            dropped |= {id(g) for g in waves if min(iv.end_s, g.end_s) > max(iv.start_s, g.start_s)}
    return [g for g in gestures if id(g) not in dropped] + out


def _hand_offsets(poses: list, rb: Rulebook) -> np.ndarray:
    """(N, 2) :func:`~..posture.limbs.hand_at_head` of each pose (NaN where there is none)."""
    ps = rb.posture_settings()
    return np.array([hand_at_head(p, ps.visibility, ps.hand_head_reach_m, ps.hand_head_below_ear,
                                  ps.hand_head_beside_ear) if p is not None else (np.nan, np.nan) for p in poses],
                    float).reshape(len(poses), 2)


def _head_shakes(t_s: np.ndarray, poses: list, hands: np.ndarray, rb: Rulebook, moves: list[tuple[float, float]],
                 bows: list[tuple[float, float]] = ()) -> list[TraineeEvent]:
    """The trainee shaking their head (DB 表4: to avoid, meaning "don't know"), graded as the review grades the clerk
    (:func:`~..posture.head.head_shake_deg` against the rulebook's ``DB-6.2-avoid-headshake``; none without it),
    not while a hand is at the head (``hands``: :func:`_hand_offsets`), during a sit/stand move (``moves``,
    :func:`~..posture.head.steady_head_turns`) nor during a bow (``bows``: start, end in seconds — the bend the
    review masks by the trunk's flexion; the flexion without a calibration is too rough for that)."""
    rule = rb.find_rule(AVOID_SHAKE_RULE)
    if rule is None:
        return []
    ps = rb.posture_settings()
    yaw = np.array([head_yaw_deg(p, ps.visibility) if p is not None else np.nan for p in poses], float)
    bent = np.zeros(len(t_s), bool)
    for a, b in bows:
        bent |= (t_s >= a) & (t_s <= b)
    yaw = steady_head_turns(t_s, yaw, hands, moves, bent=bent)
    shake = head_shake_deg(t_s, yaw, ps.head_shake_window_s, ps.head_shake_min_swing_deg, ps.head_shake_min_swings,
                           ps.head_shake_max_speed_deg_s)
    intervals = posture_rule_intervals(rule, t_s, shake, rb.grading_settings())
    return [TraineeEvent("head_shake", iv.start_s, iv.start_s, iv.end_s) for iv in intervals]


def _stand_point(rb: Rulebook) -> str:
    """Which point of a stand-up the rulebook's 站接 rule times (onset, midpoint or complete)."""
    greet = rb.of_kind("stand_greet")
    return str(greet[0].value("stand_point")) if greet else "onset"


def _calibrated_events(frames: list[FramePoses], cal, camera, rb: Rulebook, name: str, duration: float,
                       trainee_hint: str | int = "auto") -> tuple[TraineeEvents, Trainee | None]:
    """The clerk's events (the station's clerk seen longest is the trainee, or the station ``trainee_hint`` names)
    and the customer cues, in seconds, through the solved ``camera`` of ``cal``."""
    obs = analyse(frames, cal, camera, rb, name, duration)
    if not obs.clerks:
        return TraineeEvents([], duration, not_measured={"*": NO_STATION[0]},
                             reasons_zh={NO_STATION[0]: NO_STATION[1]}), None
    clerk = max(obs.clerks, key=lambda c: int(np.sum(c.series.visible)))
    if trainee_hint != "auto":
        named = [c for c in obs.clerks if c.station == str(trainee_hint)]
        if not named:
            seen = ", ".join(sorted(c.station for c in obs.clerks))
            raise ValueError(f"--trainee {trainee_hint}: with a calibration the trainee is named by their station; "
                             f"no clerk was seen at a station {trainee_hint!r} (seen: {seen})")
        clerk = named[0]
    s = clerk.series
    stand_point = _stand_point(rb)
    standing = s.stance == "stand"
    ev = stance_events(clerk.stance_changes, stand_point) + bow_events(clerk.bends)
    ev += standing_holds(s.t_s, standing, s.flexion_deg, rb.bow("start_deg"))
    track = _track_of_station(frames, clerk.station)
    trainee = Trainee(track, clerk.person, f"the trainee is the clerk at station {clerk.station!r} (track #{track})",
                      f"学员为柜台工位“{clerk.station}”的柜员（#{track}）")
    return TraineeEvents(ev, duration, cues=approach_cues(obs.approaches), t_s=s.t_s, flexion_deg=s.flexion_deg,
                         standing=standing), trainee


def _track_of_station(frames: list[FramePoses], station: str) -> int:
    """The track id seen most often as the clerk of ``station``."""
    counts: dict[int, int] = {}
    for f in frames:
        for p in f.by_role("clerk", station):
            counts[p.track_id] = counts.get(p.track_id, 0) + 1
    return max(counts, key=counts.get) if counts else -1


def _line_margin_px(frames: list[FramePoses], rb: Rulebook) -> float:
    """How far (pixels) feet must be past a marked line to count as on its other side."""
    return rb.trainee_settings().cue_line_margin * (frames[-1].image_height if frames else 1)


def _line_cues(frames: list[FramePoses], trainee: Trainee, line: ImageLine, rb: Rulebook, margin: float
               ) -> tuple[dict[str, float | None], dict[str, str], dict[str, str]]:
    """The 2 m cue from a line marked on the floor (:func:`~..training.stream.line_cues`; ``margin``:
    :func:`_line_margin_px`): the cues, the reason for each one not found, and their Chinese."""
    s = rb.trainee_settings()
    crossing, leaving = near_texts(NO_CROSSING, rb), near_texts(NO_LEAVING, rb)
    zh = {crossing[0]: crossing[1], leaving[0]: leaving[1], NO_SIDE[0]: NO_SIDE[1]}
    side = trainee_side(frames, trainee.track_id, line, margin)
    if side == 0:
        return {}, {"customer_near": NO_SIDE[0], "customer_leave": NO_SIDE[0]}, zh
    cues = line_cues(frames, trainee.track_id, line, side, margin, s.cue_line_min_inside_s)
    problems = {}
    if cues["customer_near"] is None:
        problems = {"customer_near": crossing[0], "customer_leave": crossing[0]}
    elif cues["customer_leave"] is None:
        problems = {"customer_leave": leaving[0]}
    return cues, problems, zh


def _uncalibrated_events(frames: list[FramePoses], rb: Rulebook, duration: float, trainee_hint: str | int = "auto",
                         cue_line: ImageLine | None = None) -> tuple[TraineeEvents, Trainee | None]:
    """The trainee's sit/stand events from the image alone, and bows when seen from the side; the cues from a line
    marked on the floor (``cue_line``), else not assessable."""
    no_cue, no_cue_zh = near_texts((NO_CUE, NO_CUE_ZH), rb)
    problems = {"customer_near": no_cue, "customer_leave": no_cue}
    zh = {no_cue: no_cue_zh, NOBODY[0]: NOBODY[1]}
    choice = rb.trainee_settings()
    crossers, margin = frozenset(), 0.0
    if cue_line is not None:     # a customer walks across the marked line; the clerk stays behind it
        margin = _line_margin_px(frames, rb)
        crossers = frozenset(line_crossers(frames, cue_line, margin))
    trainee = choose_trainee(frames, trainee_hint, choice.auto_min_share, choice.place_min_share, crossers,
                             near_texts(CROSSED, rb), choice.back_min_share)
    if trainee is None:
        return TraineeEvents([], duration, cue_problems=problems, reasons_zh=zh,
                             not_measured={k: NOBODY[0] for k in
                                           ("stand_up", "sit_down", "bow", "hold_posture")}), None
    cues: dict[str, float | None] = {}
    spans: dict[str, tuple[float, float]] = {}
    cue_note, pending = None, set()
    if cue_line is not None:
        cues, problems, more_zh = _line_cues(frames, trainee, cue_line, rb, margin)
        zh.update(more_zh)
    else:
        arrival = arrival_cues(frames, trainee.track_id, arrival_settings(rb))
        no_arrival = near_texts(NO_ARRIVAL, rb)
        zh.update({no_arrival[0]: no_arrival[1], NO_DEPARTURE[0]: NO_DEPARTURE[1]})
        problems = {"customer_near": no_arrival[0], "customer_leave": no_arrival[0]}
        if arrival is not None:
            cues, spans, problems = _arrival_cues(arrival)
            cue_note = arrival_note(arrival, rb.near_m)
        pending = set(problems)     # a customer may still come (or leave) later in a live recording
    settings = rb.uncalibrated_settings()
    s = measure_uncalibrated(frames, trainee.track_id, rb.stance_settings(), settings)
    standing = s.stance == "stand"
    stand_point = _stand_point(rb)
    ev = stance_events(s.stance_changes, stand_point)
    not_measured, note = {}, TILT_CURVE
    if s.bow_measurable:
        curve, note = s.bow_deg, side_curve_note(s.turned_deg)
        bends = detect_bends(s.t_s, curve, standing, settings=rb.bow_settings(), uncertainty_deg=s.bow_uncertainty_deg)
    else:
        # the bend is still looked for (and shown, later steps timed from it) on the world-landmark tilt
        curve = s.tilt_deg
        bends = detect_bends(s.t_s, curve, standing, settings=rb.bow_settings())
        en, zh_reason = facing_camera_reason(s.turned_deg, float(np.degrees(np.arcsin(settings.min_side_share))))
        not_measured, zh[en] = {"bow": en}, zh_reason
    ev += standing_holds(s.t_s, standing, curve, rb.bow("start_deg"))
    ev += bow_events(bends) if s.bow_measurable else facing_bows(bends, s.t_s, s.front_bow_min_deg, standing, rb)
    return TraineeEvents(ev, duration, cues=cues, cue_spans=spans, cue_note=cue_note, cue_problems=problems,
                         pending_cues=pending,
                         not_measured=not_measured, reasons_zh=zh, t_s=s.t_s, flexion_deg=curve, standing=standing,
                         curve_note=note), trainee


def facing_bows(bends: list[Bend], t_s: np.ndarray, front_min_deg: np.ndarray, standing: np.ndarray,
                rb: Rulebook) -> list[TraineeEvent]:
    """Bows of a trainee facing the camera: found and timed on the tilt curve (``bends``) with their angle not
    measured — except where the trunk's shortening in the image shows it at least as deep as the deepest bow
    class's nominal angle (the apology bow, 45°) while a bow was found: that much is claimed (``angle_at_least``),
    not its angle, and the bow lasts from the earlier start to the later end of the two, held (``hold_s``) as long
    as it was at least that deep (the tilt curve reads a bow seen from the front shallow and breaks it up). A bend
    the tilt curve took for a pose glitch (faster than a body bends) counts as found here: facing the camera, a
    deep bow's depth jumps on that curve as the landmarker loses and finds the folded body."""
    least = float(max(c.nominal_deg for c in rb.bow_classes))
    bow = rb.bow_settings()
    deep = hysteresis_intervals(t_s, front_min_deg, least, least - (bow.start_deg - bow.end_deg),
                                bow.min_duration_s, max_gap_s=bow.max_hidden_s, allowed=standing)
    found = bow_events(bends)
    glitches = bow_events([replace(b, kind="bow") for b in bends if b.kind == "glitch"])
    out = []
    for iv in deep:
        over = [e for e in found + glitches if e.start_s <= iv.end_s and e.end_s >= iv.start_s]
        if not over:
            continue
        start, end = min([iv.start_s] + [e.start_s for e in over]), max([iv.end_s] + [e.end_s for e in over])
        out.append(TraineeEvent("bow", start, start, end, least, iv.peak_t_s, hold_s=iv.duration_s,
                                angle_at_least=True))
        found = [e for e in found if all(e is not o for o in over)]
        glitches = [e for e in glitches if all(e is not o for o in over)]
    return sorted(out + [replace(e, angle_measured=False) for e in found], key=lambda e: e.t_s)


def arrival_settings(rb: Rulebook) -> ArrivalSettings:
    """The rulebook's ``measurement.trainee`` ``arrival_*`` keys and the near distance, as arrival settings."""
    s = rb.trainee_settings()
    return ArrivalSettings(still_speed=s.arrival_still_speed, min_still_s=s.arrival_min_still_s,
                           smooth_s=s.arrival_smooth_s, lag_s=s.arrival_lag_s, start_margin_s=s.arrival_start_margin_s,
                           min_visibility=rb.posture_settings().visibility, approach_s=s.arrival_approach_s,
                           approach_shift=s.arrival_approach_shift, near_m=rb.near_m,
                           nearest_stop_m=s.arrival_nearest_stop_m, slowest_walk_m_s=s.arrival_slowest_walk_m_s,
                           settle_s=s.arrival_settle_s)


def _arrival_cues(a: ArrivalCues) -> tuple[dict[str, float | None], dict[str, tuple[float, float]], dict[str, str]]:
    """The cues, their spans and the problems of the cues not seen, from a customer's stop and walk-off."""
    cues: dict[str, float | None] = {"customer_near": a.arrive_s, "customer_leave": a.depart_s}
    spans = {"customer_near": a.near_s}
    problems = {}
    if a.leave_s is not None:
        spans["customer_leave"] = a.leave_s
    else:
        problems["customer_leave"] = NO_DEPARTURE[0]
    return cues, spans, problems


def arrival_note(a: ArrivalCues, near_m: float = 2.0) -> tuple[str, str]:
    """The score sheet's note (English, Chinese) on the cues of the near distance ``near_m`` (metres) bounded from
    the customer's stop at the counter."""
    d = metres_text(near_m)
    en = (f"no floor calibration: the customer (#{a.customer_id}) stopped at the counter at {a.arrive_s:.1f} s, so "
          f"they came within {d} m between {a.near_s[0]:.1f} and {a.near_s[1]:.1f} s")
    zh = (f"无标定：客户（#{a.customer_id}）于{a.arrive_s:.1f}秒在柜台前停下，故其走到{d}米处的时刻在"
          f"{a.near_s[0]:.1f}–{a.near_s[1]:.1f}秒之间")
    if a.leave_s is not None:
        en += f", and walked off at {a.depart_s:.1f} s, out past {d} m by {a.leave_s[1]:.1f} s"
        zh += f"；于{a.depart_s:.1f}秒离开，最迟于{a.leave_s[1]:.1f}秒走出{d}米范围"
    return (en + "; a step timed from these is graded only where its verdict is the same anywhere in the span",
            zh + "；以此计时的步骤仅在区间内结论一致时评定")
