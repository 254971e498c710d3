"""Field classes from PyPI that real sites use (pinned in requirements/dev.txt)."""
