"""Safeguarding Case Notes: encrypted, offline case notes and information-sharing decisions."""

__version__ = "0.1.0"
APP_NAME = "Safeguarding Case Notes"
