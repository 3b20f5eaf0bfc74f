"""The ways out: attendance reports, their rendering, and the C01-HD timesheet."""
