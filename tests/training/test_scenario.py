"""Scenario files: the shipped ones load; every problem is one line naming the file, the step and the key."""

from __future__ import annotations

import copy

import pytest
import yaml

from etiquette_cv.rules.rulebook import load_rulebook
from etiquette_cv.training.scenario import (SCENARIO_DIR, ScenarioError, load_scenario, scenario_from_dict,
                                            shipped_scenarios)

RB = load_rulebook()


def test_the_scenarios_ship_with_their_steps_and_bands():
    assert shipped_scenarios() == ["apology", "documents", "farewell", "handshake", "reception"]
    hs = load_scenario("handshake", RB)
    assert [s.expect for s in hs.steps] == ["stand_up", "handshake"]
    assert (hs.step("handshake").value("min_duration_s"), hs.step("handshake").value("max_duration_s")) == (3.0, 5.0)
    assert [s.expect for s in load_scenario("documents", RB).steps] == ["hand_over", "hand_over"]
    rec = load_scenario("reception", RB)
    assert [s.expect for s in rec.steps] == ["stand_up", "bow", "indicate"]
    assert rec.steps[0].window.after == "customer_near"
    assert rec.bands["greeting_bow"] == (9.0, 22.0)           # the rulebook's greeting band
    fw = load_scenario("farewell", RB)
    assert [s.expect for s in fw.steps] == ["stand_up", "bow", "wave"] and fw.bands["thanks_bow"] == (23.0, 37.0)
    ap = load_scenario("apology", RB)
    assert ap.bands["apology_bow"] == (45.0, 90.0) and ap.step("apology_bow").value("min_hold_s") == 2.0
    assert ap.step("apology_bow").band_deg[0].source == "standard"


def _reception() -> dict:
    return yaml.safe_load((SCENARIO_DIR / "reception.yaml").read_text(encoding="utf-8"))


def _bad(edit) -> str:
    d = copy.deepcopy(_reception())
    edit(d)
    with pytest.raises(ScenarioError) as exc:
        scenario_from_dict(d, "mine.yaml", RB)
    msg = str(exc.value)
    assert "\n" not in msg and msg.startswith("mine.yaml: ")
    return msg


def test_errors_name_the_file_the_step_and_the_key():
    assert "step greeting_bow.bow_class: expected one of 'greeting', 'thanks', 'apology', got 'welcome'" in _bad(
        lambda d: d["steps"][1].update(bow_class="welcome"))
    assert "step greeting_bow.bow_class: a bow step names its class" in _bad(lambda d: d["steps"][1].pop("bow_class"))
    assert "step stand_up.windw: unknown key (did you mean 'window'?)" in _bad(
        lambda d: d["steps"][0].update(windw=d["steps"][0].pop("window")))
    assert "step stand_up.window.to_s: must be after from_s" in _bad(
        lambda d: d["steps"][0]["window"].update(to_s={"value": -6, "source": "default"}))
    assert "step stand_up.window.after: the first step has no previous step" in _bad(
        lambda d: d["steps"][0]["window"].update(after="previous"))
    assert "step stand_up.credit.late.source: expected one of" in _bad(
        lambda d: d["steps"][0]["credit"]["late"].update(source="mine"))
    assert "step stand_up.credit.late.value: expected a number <= 1" in _bad(
        lambda d: d["steps"][0]["credit"]["late"].update(value=1.5))
    assert "step indicate_seat.bow_class: only a bow step has a class" in _bad(
        lambda d: d["steps"][2].update(bow_class="greeting"))
    assert "step stand_up: duplicate step id" in _bad(lambda d: d["steps"][1].update(id="stand_up"))
    assert "steps[0].expect: expected one of" in _bad(lambda d: d["steps"][0].update(expect="jump", id=None))


def test_an_unknown_scenario_name_lists_the_shipped_ones():
    with pytest.raises(ScenarioError, match="no shipped scenario of that name .shipped: apology, documents, farewe"):
        load_scenario("nosuch", RB)
