"""Ground truth and truth events."""

from __future__ import annotations

import numpy as np
import pytest

from sim_fixtures import minimal_dict, SCENARIOS  # noqa: F401  (first: puts src/ on the path)

from etiquette_cv.sim.scenario import Scenario, load_scenario
from etiquette_cv.sim.truth import ground_truth, ground_truth_at, truth_events


def _smoothstep_inverse(c: float) -> float:
    roots = np.roots([-2.0, 3.0, 0.0, -c])
    return float(next(r.real for r in roots if abs(r.imag) < 1e-12 and -1e-12 <= r.real <= 1 + 1e-12))


def test_customer_crossing_time_is_exact():
    s = Scenario.from_dict(minimal_dict())
    ev = [e for e in truth_events(s) if e.person == "customer1"]
    assert [e.kind for e in ev] == ["customer_near"]
    # y = 5 − 4.4·smoothstep((t − 1) / 4) reaches 2 m when smoothstep = 3 / 4.4
    t_analytic = 1.0 + 4.0 * _smoothstep_inverse(3.0 / 4.4)
    assert ev[0].t_s == pytest.approx(t_analytic, abs=1e-3)
    assert ev[0].value == 2.0


def test_crossing_out_and_custom_threshold():
    d = minimal_dict()
    d["persons"][1]["keyframes"] += [{"t": 7.0, "pos_m": [0.2, 0.6]}, {"t": 9.0, "pos_m": [0.2, 3.6]}]
    s = Scenario.from_dict(d)
    ev = [e for e in truth_events(s, near_m=1.5) if e.person == "customer1"]
    assert [e.kind for e in ev] == ["customer_near", "customer_far"]
    t_out = 7.0 + 2.0 * _smoothstep_inverse((1.5 - 0.6) / 3.0)
    assert ev[1].t_s == pytest.approx(t_out, abs=1e-3)


def test_stand_up_sit_down_and_bow_peak():
    d = minimal_dict()
    d["persons"][0]["keyframes"].append({"t": 9.5, "stance": "sit", "transition_s": 1.2})
    ev = truth_events(Scenario.from_dict(d))
    stand = [e for e in ev if e.kind == "stand_up"]
    sit = [e for e in ev if e.kind == "sit_down"]
    assert len(stand) == 1 and stand[0].t_s == pytest.approx(3.5, abs=1e-5)  # key 4.0 − transition / 2
    assert len(sit) == 1 and sit[0].t_s == pytest.approx(9.5 - 0.6, abs=1e-5)
    bow = [e for e in ev if e.kind == "bow_peak"]
    assert len(bow) == 1 and bow[0].value == pytest.approx(30.0) and bow[0].label == "thanks"
    assert 5.5 <= bow[0].t_s <= 6.5  # on the held plateau
    assert [e.t_s for e in ev] == sorted(e.t_s for e in ev)


def test_bows_scenario_peaks_and_reach():
    s = load_scenario(SCENARIOS / "bows.yaml")
    ev = truth_events(s)
    peaks = [(round(e.value, 6), e.label) for e in ev if e.kind == "bow_peak"]
    assert peaks == [(15.0, "greeting"), (30.0, "thanks"), (45.0, "apology"), (60.0, "apology"), (90.0, "apology")]
    reach = [e for e in ev if e.kind == "reach"]
    assert len(reach) == 1 and reach[0].value == pytest.approx(40.0)


def test_reception_scenario_story():
    s = load_scenario(SCENARIOS / "reception_min.yaml")
    ev = truth_events(s)
    kinds = [(e.kind, e.person) for e in ev if e.kind in ("customer_near", "stand_up", "bow_peak")]
    assert kinds[:3] == [("customer_near", "customer1"), ("stand_up", "clerk"), ("bow_peak", "clerk")]
    near = next(e for e in ev if e.kind == "customer_near")
    stand = next(e for e in ev if e.kind == "stand_up")
    assert 0.5 < stand.t_s - near.t_s < 1.5  # the clerk rises about a second after the 2 m crossing
    assert sum(e.kind == "customer_near" for e in ev) == 2
    assert any(e.kind == "customer_far" for e in ev)
    assert [round(e.value) for e in ev if e.kind == "bow_peak"] == [15, 30, 15]


def test_deportment_violations():
    ev = truth_events(load_scenario(SCENARIOS / "deportment.yaml"))
    v = [(e.label, e.t_s, e.end_s) for e in ev if e.kind == "violation"]
    assert [x[0] for x in v] == ["stoop", "lean_on_counter", "sway", "hands_in_pockets", "lean_back",
                                 "lie_on_desk", "crossed_legs"]
    assert v[0][2] - v[0][1] == pytest.approx(5.0)


def test_ground_truth_fields():
    s = Scenario.from_dict(minimal_dict())
    g = ground_truth_at(s, 6.0)
    assert g["clerk"].trunk_flexion_deg == pytest.approx(30.0, abs=1e-9)
    assert g["clerk"].stance == "stand" and g["clerk"].sit_blend == 0.0
    assert g["customer1"].distance_to_counter_m == pytest.approx(0.6)
    assert g["clerk"].shoulder_height_m == pytest.approx(0.530 * 1.68 + 0.288 * 1.68 * np.cos(np.radians(30)))
    assert g["clerk"].head_height_m > g["clerk"].shoulder_height_m
    g0 = ground_truth_at(s, 0.0)["clerk"]
    assert g0.stance == "sit" and g0.shoulder_height_m == pytest.approx((0.285 + 0.288) * 1.68)
    frames = ground_truth(s)
    assert len(frames) == len(s.times()) and set(frames[0]) == {"clerk", "customer1"}


def test_sway_shows_in_the_lateral_truth():
    s = load_scenario(SCENARIOS / "deportment.yaml")
    lat = [ground_truth_at(s, t)["clerk"].trunk_lateral_deg for t in np.arange(17.0, 21.0, 0.1)]
    assert max(lat) == pytest.approx(4.0, abs=0.1) and min(lat) == pytest.approx(-4.0, abs=0.1)
