"""The reports layer: the findings and calibration pages, one small module per study."""
