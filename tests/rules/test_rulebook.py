"""The rulebook file: the shipped one loads and is complete; a broken one fails with a one-line message that
names the file, the rule and the key."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from etiquette_cv.posture.stance import StanceSettings

from etiquette_cv.rules.rulebook import (DEFAULT_RULEBOOK, MEASUREMENT_GROUPS, OPTIONAL_RULE_PARAMS, REQUIRED_KEYS,
                                         RULE_KINDS, SOURCES, RulebookError, load_rulebook, rulebook_from_dict)


@pytest.fixture(scope="module")
def shipped() -> dict:
    return yaml.safe_load(DEFAULT_RULEBOOK.read_text(encoding="utf-8"))


def test_shipped_rulebook_loads_and_is_complete(shipped):
    rb = load_rulebook()
    assert rb.source == DEFAULT_RULEBOOK.name
    assert len(rb.rules) == len(shipped["rules"]) and len(rb.rules) >= 10
    assert len({r.id for r in rb.rules}) == len(rb.rules)
    for rule in rb.rules:
        for key in ("clause", "wording_zh", "title_zh", "title_en"):
            assert getattr(rule, key).strip(), (rule.id, key)
        assert rule.severity in ("info", "minor", "major")
        # the shipped rulebook sets every parameter, the optional ones too (their fallback for older rulebooks)
        optional = set(OPTIONAL_RULE_PARAMS.get(rule.kind, {}))
        assert set(rule.params) == set(RULE_KINDS[rule.kind]) | optional, rule.id
        for name, p in rule.params.items():
            assert p.source in SOURCES, (rule.id, name)
    for group in rb.measurement.values():
        assert all(p.source in SOURCES for p in group.values())
    assert all(p.source in SOURCES for p in rb.bows.values())
    # the bow classes carry the standard's nominal angles within their bands, in increasing order
    noms = [c.nominal_deg for c in rb.bow_classes]
    assert noms == sorted(noms)
    for c in rb.bow_classes:
        assert c.min_deg <= c.nominal_deg <= c.max_deg
        assert rb.classify_bow(c.nominal_deg) is c
    # classes are graded on the angle as reported, in whole degrees: 22.4° reads "22°", a greeting bow, 22.6° reads
    # "23°", a thanks bow; a bend below the first band is no bow
    a, b = rb.bow_classes[0], rb.bow_classes[1]
    assert rb.classify_bow(a.max_deg + 0.4) is a and rb.classify_bow(b.min_deg - 0.4) is b
    assert rb.classify_bow(a.min_deg - 0.6) is None and rb.classify_bow(float("nan")) is None


def test_shipped_rulebook_via_path_is_the_same(shipped):
    assert load_rulebook(DEFAULT_RULEBOOK) == load_rulebook()


def test_a_rulebook_written_before_an_optional_key_existed_gets_the_shipped_value(shipped):
    """A branch's rulebook without the keys added later (the visit stitching) still loads, with the values of the
    bundled rulebook."""
    rb = load_rulebook()
    d = copy.deepcopy(shipped)
    optional = [(g, n) for g, keys in REQUIRED_KEYS.items() for n in shipped["measurement"][g] if n not in keys]
    assert ("customer", "stitch_gap_s") in optional and ("customer", "stitch_m") in optional
    for group, name in optional:
        del d["measurement"][group][name]
    d["measurement"]["customer"]["near_m"]["value"] = 1.5   # a branch's own value is still its own
    old = rulebook_from_dict(d, "branch.yaml")
    for group, name in optional:
        assert name not in old.measurement[group]
        assert old.measure(group, name) == rb.measure(group, name)
    assert old.measure("customer", "near_m") == 1.5 != rb.measure("customer", "near_m")


def test_a_rule_without_an_optional_parameter_gets_the_shipped_value(shipped):
    """A counter-clutter rule written before ``attached_px`` existed loads and reads the bundled value; one that sets
    it keeps its own; a misspelt one is refused."""
    rb = load_rulebook()
    d = copy.deepcopy(shipped)
    rule = _rule(d, "CC-2.10-counter-clutter")
    del rule["params"]["attached_px"]
    old = rulebook_from_dict(d, "branch.yaml").rule("CC-2.10-counter-clutter")
    assert "attached_px" not in old.params
    assert old.value("attached_px") == rb.rule("CC-2.10-counter-clutter").value("attached_px")
    rule["params"]["attached_px"] = {"value": 5.0, "source": "default"}
    assert rulebook_from_dict(d, "branch.yaml").rule("CC-2.10-counter-clutter").value("attached_px") == 5.0
    rule["params"]["atached_px"] = rule["params"].pop("attached_px")
    with pytest.raises(RulebookError, match="did you mean 'attached_px'"):
        rulebook_from_dict(d, "branch.yaml")


# ------------------------------------------------------------------------------------------------------------
# Errors
# ------------------------------------------------------------------------------------------------------------


def _rule(d: dict, rule_id: str) -> dict:
    return next(r for r in d["rules"] if r["id"] == rule_id)


def _fails(tmp_path: Path, d, *must_contain: str, name: str = "branch.yaml") -> str:
    path = tmp_path / name
    path.write_text(d if isinstance(d, str) else yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RulebookError) as e:
        load_rulebook(path)
    msg = str(e.value)
    assert "\n" not in msg, msg
    assert name in msg, msg
    for s in must_contain:
        assert s in msg, (s, msg)
    return msg


GREET = "CC-2.6-stand-greet"


def test_typo_in_a_parameter_name_suggests_the_close_match(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    params = _rule(d, GREET)["params"]
    params["allowence_s"] = params.pop("allowance_s")
    _fails(tmp_path, d, GREET, "allowence_s", "did you mean 'allowance_s'")


def test_typo_in_a_rule_key_suggests_the_close_match(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    r = _rule(d, GREET)
    r["wordng_zh"] = r.pop("wording_zh")
    _fails(tmp_path, d, GREET, "wordng_zh", "did you mean 'wording_zh'")


def test_missing_key(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    del _rule(d, GREET)["clause"]
    _fails(tmp_path, d, GREET, "missing required key", "clause")
    d = copy.deepcopy(shipped)
    del _rule(d, "CC-1.6-stoop")["params"]["min_duration_s"]
    _fails(tmp_path, d, "CC-1.6-stoop", "params", "missing required key", "min_duration_s")
    d = copy.deepcopy(shipped)
    del _rule(d, GREET)["params"]["early_s"]["source"]
    _fails(tmp_path, d, GREET, "early_s", "source")


def test_wrong_type(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    _rule(d, GREET)["params"]["allowance_s"]["value"] = "three"
    _fails(tmp_path, d, GREET, "allowance_s.value", "expected a number", "three")
    d = copy.deepcopy(shipped)
    _rule(d, GREET)["params"]["allowance_s"]["value"] = True  # a YAML `yes` is not a number
    _fails(tmp_path, d, GREET, "allowance_s.value", "expected a number")
    d = copy.deepcopy(shipped)
    _rule(d, "CC-1.6-stoop")["params"]["series"]["value"] = 5
    _fails(tmp_path, d, "CC-1.6-stoop", "series.value", "expected text")
    d = copy.deepcopy(shipped)
    _rule(d, GREET)["params"]["allowance_s"]["source"] = "folklore"
    _fails(tmp_path, d, GREET, "allowance_s.source", "folklore")
    d = copy.deepcopy(shipped)
    _rule(d, GREET)["clause"] = ""
    _fails(tmp_path, d, GREET, "clause", "non-empty text")


def test_unknown_kind(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    _rule(d, GREET)["kind"] = "stand_gret"
    _fails(tmp_path, d, GREET, "kind", "stand_gret", "did you mean 'stand_greet'")


def test_overlapping_bow_bands(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    classes = d["bows"]["classes"]
    classes[1]["min_deg"] = classes[0]["max_deg"] - 2.0
    _fails(tmp_path, d, "bows.classes[1]", "overlaps", classes[0]["name"])


def test_band_not_containing_its_nominal(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    c = d["bows"]["classes"][0]
    c["nominal_deg"] = c["max_deg"] + 3.0
    _fails(tmp_path, d, "bows.classes[0]", "does not contain the nominal")


def test_bow_class_without_its_source(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    del d["bows"]["classes"][2]["source"]
    _fails(tmp_path, d, "bows.classes[2]", "source")


def test_bow_classes_say_where_their_numbers_come_from():
    for c in load_rulebook(DEFAULT_RULEBOOK).bow_classes:
        assert "DB21/T 2641-2016" in c.source and "band: default" in c.source, c


def test_expected_class_not_a_class(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    _rule(d, "DB-6.2-bow-greet")["params"]["expected_class"]["value"] = "grovel"
    msg = _fails(tmp_path, d, "DB-6.2-bow-greet", "expected_class", "grovel")
    for c in shipped["bows"]["classes"]:
        assert c["name"] in msg  # the message lists the classes there are


def test_sit_threshold_not_below_stand_threshold(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    st = d["measurement"]["stance"]
    st["sit_below_m"]["value"] = st["stand_above_m"]["value"]
    _fails(tmp_path, d, "measurement.stance.sit_below_m", "stand_above_m")
    st["sit_below_m"]["value"] = st["stand_above_m"]["value"] + 0.1
    _fails(tmp_path, d, "measurement.stance.sit_below_m")


def test_bow_end_not_below_start(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    d["bows"]["end_deg"]["value"] = d["bows"]["start_deg"]["value"] + 1.0
    _fails(tmp_path, d, "bows.end_deg", "start_deg")


def test_duplicate_rule_id(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    d["rules"].append(copy.deepcopy(_rule(d, GREET)))
    _fails(tmp_path, d, GREET, "duplicate")


def test_empty_file(tmp_path):
    _fails(tmp_path, "", "empty")
    _fails(tmp_path, "# only a comment\n", "empty")


def test_invalid_yaml(tmp_path):
    msg = _fails(tmp_path, "version: 1\nname: [unclosed\nrules:\n  - id: x\n", "not valid YAML")
    assert "line" in msg


def test_missing_file(tmp_path):
    path = tmp_path / "nope.yaml"
    with pytest.raises(RulebookError) as e:
        load_rulebook(path)
    assert str(path) in str(e.value) and "no such file" in str(e.value) and "\n" not in str(e.value)


def test_not_a_mapping_at_the_top(tmp_path):
    _fails(tmp_path, "- just\n- a list\n", "expected a mapping")


def test_rulebook_from_dict_names_the_source(shipped):
    d = copy.deepcopy(shipped)
    d["version"] = 99
    with pytest.raises(RulebookError, match=r"^mine\.yaml: version: expected 1"):
        rulebook_from_dict(d, "mine.yaml")


def test_file_not_in_utf8_is_a_rulebook_error(tmp_path):
    """A branch saving the file in GBK (common for Chinese text) gets a message, not a UnicodeDecodeError."""
    path = tmp_path / "gbk.yaml"
    path.write_bytes(DEFAULT_RULEBOOK.read_text(encoding="utf-8").encode("gbk", errors="replace"))
    with pytest.raises(RulebookError) as e:
        load_rulebook(path)
    assert "gbk.yaml" in str(e.value) and "UTF-8" in str(e.value) and "\n" not in str(e.value)


def test_directory_instead_of_a_file_is_a_rulebook_error(tmp_path):
    with pytest.raises(RulebookError) as e:
        load_rulebook(tmp_path)
    assert str(tmp_path) in str(e.value) and "\n" not in str(e.value)


def test_kind_that_is_not_text(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    _rule(d, GREET)["kind"] = ["stand_greet"]
    _fails(tmp_path, d, GREET, "kind", "unknown kind")


# ------------------------------------------------------------------------------------------------------------
# Settings built from the rulebook
# ------------------------------------------------------------------------------------------------------------


def test_shipped_settings_are_the_documented_defaults():
    """The shipped rulebook states every measurement setting; they are the settings' documented defaults."""
    from etiquette_cv.events import BowSettings
    from etiquette_cv.posture.clerk import PostureSettings
    from etiquette_cv.rules.rulebook import GradingSettings

    rb = load_rulebook()
    assert rb.posture_settings() == PostureSettings()
    assert rb.grading_settings() == GradingSettings()
    assert rb.bow_settings() == BowSettings(**{k: rb.bow(k) for k in rb.bows})
    assert rb.near_m == 2.0 and rb.measurement["customer"]["near_m"].source == "standard"
    for group in ("posture", "trunk_fit", "grading"):
        assert set(rb.measurement[group]) == set(MEASUREMENT_GROUPS[group][0]), group


def test_a_changed_posture_setting_reaches_the_settings(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    d["measurement"]["trunk_fit"]["min_sensitivity_px_per_deg"]["value"] = 0.6
    d["measurement"]["posture"]["anchor_min_frames"]["value"] = 7
    path = tmp_path / "branch.yaml"
    path.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    settings = load_rulebook(path).posture_settings()
    assert settings.fit.min_sensitivity_px_per_deg == 0.6 and settings.anchor_min_frames == 7


def test_unknown_or_bad_measurement_setting(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    d["measurement"]["posture"]["filter_cutof_hz"] = d["measurement"]["posture"].pop("filter_cutoff_hz")
    _fails(tmp_path, d, "measurement.posture.filter_cutof_hz", "did you mean 'filter_cutoff_hz'")
    d = copy.deepcopy(shipped)
    d["measurement"]["grading"]["posture_max_gap_s"]["value"] = "long"
    _fails(tmp_path, d, "measurement.grading.posture_max_gap_s.value", "expected a number")


def test_the_stand_up_point_of_the_greeting_is_named_and_checked(tmp_path, shipped):
    rb = load_rulebook()
    assert rb.rule(GREET).value("stand_point") in ("onset", "midpoint", "complete")
    d = copy.deepcopy(shipped)
    _rule(d, GREET)["params"]["stand_point"]["value"] = "halfway"
    _fails(tmp_path, d, GREET, "stand_point", "onset")


@pytest.mark.parametrize("key, value, expect", [
    ("spike_samples", 2, "must be an odd whole number of samples"),
    ("spike_samples", 0, "must be an odd whole number of samples"),
    ("crossing_lookback_s", 0, "must be positive seconds"),
    ("move_tail_fraction", -0.1, "must be zero or positive"),
    ("unseen_move_half_s", -1, "must be zero or positive"),
    ("point_uncertainty_s", -0.3, "must be zero or positive"),
])
def test_stance_median_and_lookbacks_are_checked_on_load(tmp_path, shipped, key, value, expect):
    d = copy.deepcopy(shipped)
    d["measurement"]["stance"][key] = {"value": value, "source": "default"}
    _fails(tmp_path, d, f"measurement.stance.{key}", expect)


def test_a_rulebook_written_before_the_stance_lookbacks_still_loads(tmp_path, shipped):
    d = copy.deepcopy(shipped)
    for key in ("level_lookback_s", "crossing_lookback_s", "spike_samples"):
        d["measurement"]["stance"].pop(key)
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    assert load_rulebook(path).stance_settings().spike_samples == 3


def test_a_rulebook_written_before_the_unseen_move_half_moved_to_the_stance_group_still_loads(tmp_path, shipped):
    """Until the nineteenth session ``unseen_move_half_s`` lived in ``measurement.posture``: a branch rulebook that
    sets it there is read with the value at its new place, in ``measurement.stance``."""
    d = copy.deepcopy(shipped)
    d["measurement"]["stance"].pop("unseen_move_half_s")
    d["measurement"]["stance"].pop("move_tail_fraction")
    d["measurement"]["stance"].pop("point_uncertainty_s")
    d["measurement"].setdefault("posture", {})["unseen_move_half_s"] = {"value": 0.6, "source": "default"}
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    rb = load_rulebook(path)
    assert rb.stance_settings().unseen_move_half_s == 0.6
    assert rb.stance_settings().move_tail_fraction == StanceSettings().move_tail_fraction


def test_a_rule_is_found_by_id_or_none_when_the_rulebook_leaves_it_out():
    rb = load_rulebook()
    assert rb.find_rule("DB-6.2-avoid-wavehand").params["series"].value == "hand_wave_deg"
    assert rb.find_rule("no-such-rule") is None
    with pytest.raises(KeyError):
        rb.rule("no-such-rule")


def test_walking_settings_are_read_and_checked(tmp_path, shipped):
    from etiquette_cv.posture.walking import WalkingSettings

    assert load_rulebook().walking_settings() == WalkingSettings()    # the shipped values are the defaults
    for key, bad, why in (("smooth_samples", 4, "odd whole number"), ("max_gap_s", 0, "must be positive"),
                          ("jump_noise_m", -0.1, "zero or positive")):
        d = copy.deepcopy(shipped)
        d["measurement"]["walking"][key]["value"] = bad
        _fails(tmp_path, d, f"measurement.walking.{key}", why)
    d = copy.deepcopy(shipped)
    del d["measurement"]["walking"]                                   # a rulebook written before it existed
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    assert load_rulebook(path).walking_settings() == WalkingSettings()


@pytest.mark.parametrize("key, value, expect", [
    ("wave_smooth_s", 0, "must be positive seconds"),
    ("wave_min_lag_s", -0.2, "must be positive seconds"),
    ("wave_max_lag_s", 0.1, "must not be below wave_min_lag_s"),
    ("wave_min_rate_hz", 0, "must be positive frames per second"),
])
def test_the_wave_windows_are_seconds_checked_on_load(tmp_path, shipped, key, value, expect):
    d = copy.deepcopy(shipped)
    d["measurement"]["gestures"][key]["value"] = value
    _fails(tmp_path, d, f"measurement.gestures.{key}", expect)


def test_a_rulebook_written_before_the_wave_windows_were_seconds_still_loads(tmp_path, shipped):
    from etiquette_cv.posture.gestures import GestureSettings

    d = copy.deepcopy(shipped)
    for key in ("wave_smooth_s", "wave_min_lag_s", "wave_max_lag_s", "wave_min_rate_hz"):
        d["measurement"]["gestures"].pop(key)
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    s = load_rulebook(path).gesture_settings()
    assert (s.wave_smooth_s, s.wave_min_lag_s, s.wave_max_lag_s, s.wave_min_rate_hz) == (0.3, 0.2, 0.6, 4.0) == (
        GestureSettings.wave_smooth_s, GestureSettings.wave_min_lag_s, GestureSettings.wave_max_lag_s,
        GestureSettings.wave_min_rate_hz)


@pytest.mark.parametrize("key, value", [("join_max_gap_s", 0), ("join_max_shift", -0.1)])
def test_the_trainee_tracklet_join_limits_must_be_positive(tmp_path, shipped, key, value):
    d = copy.deepcopy(shipped)
    d["measurement"]["trainee"][key]["value"] = value
    _fails(tmp_path, d, f"measurement.trainee.{key}", "must be positive")


@pytest.mark.parametrize("value", [0.5, 1.2])
def test_the_share_of_frames_showing_the_back_must_be_a_majority_share(tmp_path, shipped, value):
    d = copy.deepcopy(shipped)
    d["measurement"]["trainee"]["back_min_share"]["value"] = value
    _fails(tmp_path, d, "measurement.trainee.back_min_share", "must be a share above 0.5")


def test_the_landmark_error_is_checked_on_load_and_an_older_rulebook_gets_the_shipped_shares(tmp_path, shipped):
    from etiquette_cv.posture.clerk import PostureSettings

    for key, bad in (("landmark_error_share_back", 0), ("landmark_error_px", -1.0)):
        d = copy.deepcopy(shipped)
        d["measurement"]["posture"][key]["value"] = bad
        _fails(tmp_path, d, f"measurement.posture.{key}", "must be positive")
    for bad in (90.0, -5.0):            # 90° or more would switch the hands on the counter off from every view
        d = copy.deepcopy(shipped)
        d["measurement"]["posture"]["counter_hand_min_view_deg"]["value"] = bad
        _fails(tmp_path, d, "measurement.posture.counter_hand_min_view_deg", "under 90°")
    d = copy.deepcopy(shipped)
    for view in ("front", "oblique", "side", "back"):                  # written before the shares existed
        d["measurement"]["posture"].pop(f"landmark_error_share_{view}")
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(d, allow_unicode=True), encoding="utf-8")
    s = load_rulebook(path).posture_settings()
    assert (s.landmark_error_share_front, s.landmark_error_share_back) == (
        PostureSettings.landmark_error_share_front, PostureSettings.landmark_error_share_back)
