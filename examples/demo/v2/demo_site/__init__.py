"""The datamig demo site, version 2."""
