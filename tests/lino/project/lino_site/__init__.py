"""A small Lino Così demo site for the datamig tests (see settings.py)."""
