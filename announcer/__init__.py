"""announcer: Vietnamese notices to broadcast-ready audio, played on schedule."""

__version__ = "0.1.0"
