"""Scenario loading, validation and interpolation."""

from __future__ import annotations

import copy
import json
import math

import numpy as np
import pytest

from sim_fixtures import mini_dict, minimal_dict, SCENARIOS  # noqa: F401  (first: puts src/ on the path)

from etiquette_cv.sim.scenario import Scenario, ScenarioError, load_scenario, smoothstep


@pytest.mark.parametrize("name", ["reception_min", "bows", "deportment"])
def test_shipped_scenarios_load(name):
    s = load_scenario(SCENARIOS / f"{name}.yaml")
    assert s.name == name
    assert s.duration_s <= 45.0 and s.fps == 10
    times = s.times()
    assert len(times) == round(s.duration_s * s.fps)
    assert times[0] == 0.0 and times[-1] < s.duration_s
    sample = s.sample(1.0)
    assert set(sample) == {p.id for p in s.persons}


def _err(d, source="scn.yaml") -> str:
    with pytest.raises(ScenarioError) as ei:
        Scenario.from_dict(d, source=source)
    return str(ei.value)


def test_typo_in_enum_names_file_and_key(mini_dict):
    mini_dict["persons"][0]["keyframes"][2]["stance"] = "sitt"
    assert _err(mini_dict) == "scn.yaml: persons[0].keyframes[2].stance: expected 'sit' or 'stand', got 'sitt'"


def _key(d, person, key):
    return d["persons"][person]["keyframes"][key]


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda d: _key(d, 0, 1).update(trunk_flex_deg=5), "persons[0].keyframes[1].trunk_flex_deg: unknown key"),
        (lambda d: d.update(fsp=10), "fsp: unknown key"),
        (lambda d: d.update(fps="ten"), "fps: expected a number, got 'ten'"),
        (lambda d: d.update(fps=True), "fps: expected a number"),
        (lambda d: d.update(duration_s=-1), "duration_s: expected a number > 0"),
        (lambda d: d["camera"].update(position_m=[1, 2]), "camera.position_m: expected a list of 3 numbers"),
        (lambda d: d["camera"].update(width=12.5), "camera.width: expected an integer"),
        (lambda d: d["camera"].pop("hfov_deg"), "camera.hfov_deg: missing required key"),
        (lambda d: _key(d, 1, 0).update(pos_m="here"), "persons[1].keyframes[0].pos_m: expected a list of 2"),
        (lambda d: _key(d, 0, 1).update(heading_deg="north"), "persons[0].keyframes[1].heading_deg: expected a number"),
        (lambda d: _key(d, 0, 1).update(arms="hips"), "persons[0].keyframes[1].arms: expected one of"),
        (lambda d: _key(d, 0, 2).update(t=3.0), "persons[0].keyframes[2].t: keyframe times must increase"),
        (lambda d: d["persons"][0].update(role="manager"),
         "persons[0].role: expected 'clerk' or 'customer', got 'manager'"),
        (lambda d: d["persons"][1].update(id="clerk"), "persons[1].id: duplicate person id 'clerk'"),
        (lambda d: _key(d, 0, 0).pop("pos_m"), "persons[0].keyframes[0]: the first keyframe must set pos_m"),
        (lambda d: d["scene"]["counter"].update(height="1.1"), "scene.counter.height: unknown key"),
        (lambda d: d["annotations"][0].update(person="nobody"), "annotations[0].person: no person with id 'nobody'"),
        (lambda d: d["annotations"].append({"person": "clerk", "kind": "violation", "type": "slouch",
                                            "start_s": 1, "end_s": 2}), "annotations[1].type: expected one of"),
        (lambda d: d["annotations"][0].update(end_s=1.0), "annotations[0].end_s: expected end_s > start_s"),
        (lambda d: d["annotations"][0].update(kind="wave"), "annotations[0].kind: expected one of"),
        (lambda d: d.update(version=2), "version: unsupported scenario version 2"),
    ],
)
def test_validation_errors(mini_dict, mutate, fragment):
    mutate(mini_dict)
    msg = _err(mini_dict)
    assert msg.startswith("scn.yaml: ")
    assert fragment in msg
    assert "\n" not in msg


def test_load_errors_name_the_file(tmp_path):
    p = tmp_path / "bad.yaml"
    d = minimal_dict()
    d["persons"][0]["keyframes"][1]["legs"] = "akimbo"
    import yaml

    p.write_text(yaml.safe_dump(d))
    with pytest.raises(ScenarioError, match=r"bad\.yaml: persons\[0\]\.keyframes\[1\]\.legs: expected one of"):
        load_scenario(p)
    (tmp_path / "broken.yaml").write_text("persons: [\n")
    with pytest.raises(ScenarioError, match="broken.yaml: not valid YAML"):
        load_scenario(tmp_path / "broken.yaml")


def test_json_scenarios_load_without_yaml(tmp_path):
    p = tmp_path / "mini.json"
    p.write_text(json.dumps(minimal_dict()))
    s = load_scenario(p)
    assert s.person("customer1").role == "customer"


def test_scene_passthrough_and_counter(mini_dict):
    mini_dict["scene"]["lights"] = {"kind": "area", "power_w": 300}
    s = Scenario.from_dict(mini_dict)
    assert s.scene.extra["lights"]["power_w"] == 300
    assert s.scene.counter.height_m == 1.1
    np.testing.assert_allclose(s.scene.chair_pos_m, [0.0, -0.75])
    assert s.scene.counter.distance_m(np.array([0.3, 1.7])) == pytest.approx(1.7)
    assert s.scene.counter.distance_m(np.array([4.0, 4.0])) == pytest.approx(5.0)  # beyond the end at (1, 0)


def test_numeric_interpolation_values_at_keys_and_smoothstep(mini_dict):
    clerk = Scenario.from_dict(mini_dict).person("clerk")
    assert clerk.sample(4.5).trunk_flexion_deg == 0.0
    assert clerk.sample(5.5).trunk_flexion_deg == 30.0
    assert clerk.sample(6.0).trunk_flexion_deg == 30.0  # hold between equal keys
    assert clerk.sample(5.0).trunk_flexion_deg == pytest.approx(15.0)  # smoothstep(0.5) = 0.5
    assert clerk.sample(4.75).trunk_flexion_deg == pytest.approx(30.0 * 0.15625)  # smoothstep(0.25)
    assert clerk.sample(7.0).trunk_flexion_deg == pytest.approx(15.0)
    assert clerk.sample(9.9).trunk_flexion_deg == 0.0  # held after the last key
    assert smoothstep(0.25) == pytest.approx(0.15625)
    assert smoothstep(-1.0) == 0.0 and smoothstep(2.0) == 1.0


def test_unset_numeric_fields_default_from_the_first_key(mini_dict):
    s = Scenario.from_dict(mini_dict)
    cust = s.person("customer1").sample(0.0)
    assert cust.heading_deg == 270.0  # customers face the counter by default
    assert cust.trunk_flexion_deg == 0.0 and cust.sway_period_s == 2.0
    assert cust.arms == "sides" and cust.legs == "normal" and cust.stance == "stand"


def test_discrete_fields_switch_at_key_time(mini_dict):
    clerk = Scenario.from_dict(mini_dict).person("clerk")
    assert clerk.sample(3.999).arms == "desk"
    assert clerk.sample(4.0).arms == "front_folded"


def test_stance_blend_timing(mini_dict):
    clerk = Scenario.from_dict(mini_dict).person("clerk")
    # default transition 1.0 s ending at the key (t = 4.0)
    assert clerk.sample(2.0).sit_blend == 1.0
    assert clerk.sample(3.0).sit_blend == 1.0
    assert clerk.sample(3.5).sit_blend == pytest.approx(0.5)
    assert clerk.sample(3.25).sit_blend == pytest.approx(1.0 - 0.15625)
    assert clerk.sample(4.0).sit_blend == 0.0
    assert clerk.sample(3.49).stance == "sit" and clerk.sample(3.51).stance == "stand"
    d = minimal_dict()
    d["persons"][0]["keyframes"][1]["transition_s"] = 2.0
    clerk = Scenario.from_dict(d).person("clerk")
    assert clerk.sample(3.0).sit_blend == pytest.approx(0.5)
    assert clerk.sample(2.0).sit_blend == 1.0


def test_sway_offset(mini_dict):
    mini_dict["persons"][1]["keyframes"][0].update(sway_amplitude_deg=4.0, sway_period_s=2.0)
    cust = Scenario.from_dict(mini_dict).person("customer1")
    for t in (0.0, 0.3, 0.5, 1.7):
        assert cust.sample(t).sway_offset_deg == pytest.approx(4.0 * math.sin(2 * math.pi * t / 2.0))


def test_walk_speed_and_phase(mini_dict):
    cust = Scenario.from_dict(mini_dict).person("customer1")
    assert cust.sample(0.5).walk_speed_m_s == 0.0
    t, h = 2.7, 1e-5
    y = lambda tt: cust.sample(tt).pos_m[1]  # noqa: E731
    assert cust.sample(t).walk_speed_m_s == pytest.approx(abs(y(t + h) - y(t - h)) / (2 * h), rel=1e-6)
    # mean speed 4.4 m / 4 s, peak 1.5× at the middle of the smoothstep
    assert cust.sample(3.0).walk_speed_m_s == pytest.approx(1.5 * 4.4 / 4.0)
    p = cust.sample(3.0)
    assert p.walk_distance_m == pytest.approx(2.2)
    assert p.walk_phase == pytest.approx((2.2 / 1.4) % 1.0)
    assert cust.sample(6.0).walk_distance_m == pytest.approx(4.4)


def test_sample_returns_every_person(mini_dict):
    s = Scenario.from_dict(mini_dict)
    out = s.sample(5.0)
    assert set(out) == {"clerk", "customer1"}
    np.testing.assert_allclose(out["customer1"].pos_m, [0.2, 0.6])
    assert len(s.times()) == 100


def test_scenario_module_has_no_heavy_imports():
    import subprocess
    import sys

    code = ("import sys, etiquette_cv.sim.scenario; "
            "bad = [m for m in ('cv2', 'scipy', 'etiquette_cv.sim.body') if m in sys.modules]; "
            "print(bad); sys.exit(1 if bad else 0)")
    import etiquette_cv.sim.scenario as mod
    src = str(__import__("pathlib").Path(mod.__file__).parents[2])
    r = subprocess.run([sys.executable, "-c", code], env={"PYTHONPATH": src}, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def test_deepcopy_of_dict_is_not_mutated(mini_dict):
    before = copy.deepcopy(mini_dict)
    Scenario.from_dict(mini_dict)
    assert mini_dict == before


def test_unset_discrete_fields_default_from_the_first_key(mini_dict):
    cust = mini_dict["persons"][1]["keyframes"]
    cust[1]["stance"] = "sit"  # t = 1.0: sits down by then, from the default stance 'stand'
    cust[2]["arms"] = "pockets"
    p = Scenario.from_dict(mini_dict).person("customer1")
    assert p.sample(0.0).sit_blend == 0.0 and p.sample(0.0).stance == "stand"
    assert p.sample(0.5).sit_blend == pytest.approx(0.5)
    assert p.sample(1.0).sit_blend == 1.0
    assert p.sample(4.9).arms == "sides" and p.sample(5.0).arms == "pockets"


def test_transition_never_starts_before_the_previous_stance_key(mini_dict):
    keys = mini_dict["persons"][0]["keyframes"]
    keys[1]["transition_s"] = 10.0  # longer than the 4 s since the sit key at t = 0
    p = Scenario.from_dict(mini_dict).person("clerk")
    assert p.sample(0.0).sit_blend == 1.0
    assert p.sample(2.0).sit_blend == pytest.approx(0.5)
