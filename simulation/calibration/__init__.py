"""Calibration: published series -> posterior draws of interpretable scale factors (docs/calibration.md)."""
