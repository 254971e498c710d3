"""Partners of the demo site: organisations and persons, and who works where."""
