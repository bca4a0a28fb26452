"""Data side of the suite: AWS collection, the snapshot, the entity model and the pytest plugin."""

__version__ = "0.1.0"
