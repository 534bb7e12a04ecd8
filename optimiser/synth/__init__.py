"""Seeded synthetic cohorts (invented children at real Isle of Wight postcodes and schools), off
the data path: it writes datasets that the pipeline reads like any council's files."""
