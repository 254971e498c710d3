"""The datamig demo site, version 1."""
