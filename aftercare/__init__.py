"""Aftercare: care for clients between and after sessions."""

__version__ = "0.1.0"
