"""The ways in: table files (CSV, XLSX), units, employees, enrollments, leave, punch files."""
