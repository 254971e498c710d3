"""The datamig demo site, version 3."""
