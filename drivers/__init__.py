"""Drivers for serial and network time clocks, behind one interface (drivers.base)."""
