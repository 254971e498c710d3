"""A small Lino Amici site for the datamig round-trip test (see settings.py)."""
