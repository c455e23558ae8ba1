"""The analysis layer: attribution, published-study measures and calibration (computation only)."""
