"""Annotators: drawing on frames (skeletons, labels, review frames, the calibration overlay). They decide nothing."""
