"""Floor geometry: numpy-only polylines, the calibration file, the camera model and its solver, people's floor
positions. Import the modules themselves (``geometry.polyline`` needs numpy only; the others need OpenCV)."""
