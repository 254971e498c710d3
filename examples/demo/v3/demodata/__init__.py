"""The ``demo_fill`` command: a deterministic, nasty demo database of any size."""
