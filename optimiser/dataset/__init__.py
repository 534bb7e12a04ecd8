"""Stage 1, the dataset: read ``pupils``, ``schools``, ``fleet`` and ``settings`` from CSV files or
a workbook, geocode postcodes offline, and report every problem at once (file, row, column)."""
