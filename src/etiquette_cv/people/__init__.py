"""The people stage: a whole-frame person detector, identity tracking on the calibrated floor, a MediaPipe pose
landmarker per tracked person, and roles (clerk of a station, customer, waiting, other) from where people stand.

``detector`` → ``tracker`` → ``landmarker`` → ``floor`` (floor points and roles) → ``stage`` (all of it per
frame, with its settings in ``config``).
"""
