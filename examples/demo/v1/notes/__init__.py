"""Comments on any object, their mentions and tags."""
