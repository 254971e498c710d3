"""Writing snapshots: which models, in what order, how values are written."""
