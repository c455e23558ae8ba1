"""The experiments layer: designs and seeds, executors, the sweep driver, run folders, tables."""
