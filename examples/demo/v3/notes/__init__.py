"""Comments on any object and their labels."""
