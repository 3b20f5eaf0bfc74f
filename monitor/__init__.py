"""Attendance monitor: collect time-clock punches, judge office hours, report per unit."""

__version__ = "0.1.0"
