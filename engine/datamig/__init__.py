"""datamig: exact, fast Python dumps of Django databases.

The engine is the only part of datamig that imports Django. Its sub-package
``datamig.runtime`` is copied into every snapshot, so that a snapshot's
``restore.py`` runs with nothing but Django and the application installed.
"""

__version__ = "0.1.0"
