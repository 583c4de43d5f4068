"""dissentwatch: track soldiers' public appeals, refusals, mutinies and desertions from open sources."""

__version__ = "0.1.0"
