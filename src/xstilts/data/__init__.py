"""Datasets: where each task's splits come from (registry), how they are read (sources), and the
canonical prepared files every later stage reads (prepare)."""
