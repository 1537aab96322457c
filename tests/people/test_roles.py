"""Roles over time in the people stage: hysteresis keeps a role once a person has been seen for a while, but a
track's first role (often taken far away, or outside the approach zone, while walking in) follows the place."""

from __future__ import annotations

import numpy as np

from etiquette_cv.people.floor import FloorEstimate
from etiquette_cv.people.observation import Observation
from etiquette_cv.people.placing import TrackState
from etiquette_cv.people.stage import PeopleConfig, PeopleStage
from etiquette_cv.core import NUM_LANDMARKS
from geometry.test_geometry import H, W, truth_camera
from people.test_floor import floor_model


def _seen(place: tuple[str, str | None], xy: tuple[float, float]) -> Observation:
    o = Observation(np.array([0, 0, 10, 10], np.float32), 0.9, np.zeros((NUM_LANDMARKS, 2), np.float32),
                    np.zeros(NUM_LANDMARKS, np.float32))
    o.floor = FloorEstimate(np.array(xy, float), "feet", place[0] == "clerk", float(xy[1]))
    o.place = place
    return o


def test_a_young_tracks_role_follows_its_place_and_an_older_one_changes_only_after_the_hysteresis():
    model = floor_model(truth_camera(2.5, 25.0, -90.0))
    with PeopleStage(W, H, 10.0, model, PeopleConfig(threads=1)) as stage:
        track = TrackState(1)
        hold = stage.config.roles.role_switch_s
        stage._update_role(track, _seen(("other", None), (4.0, 3.0)), 0.0)
        assert track.role == "other"
        stage._update_role(track, _seen(("customer", None), (1.0, 1.5)), 0.2)
        assert track.role == "customer"                      # young: follows the place at once
        for k in range(1, 30):                               # three seconds a customer
            stage._update_role(track, _seen(("customer", None), (1.0, 1.5)), 0.2 + 0.1 * k)
        t = 3.2
        stage._update_role(track, _seen(("waiting", None), (3.0, 3.0)), t)
        assert track.role == "customer"                      # one frame elsewhere is not a new role
        stage._update_role(track, _seen(("waiting", None), (3.0, 3.0)), t + hold + 0.1)
        assert track.role == "waiting"                       # held for the hysteresis time: it is
