"""The database schema, as sqlite-utils migrations.

Migrations are additive: a later feature adds a new function at the end (new tables,
new columns with defaults, new indexes); an applied migration is never edited.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("monitor")


@migrations()
def m001_core(db: Database) -> None:
    db.execute(
        """
        CREATE TABLE meta (
            key TEXT PRIMARY KEY,
            value TEXT
        )"""
    )
    db.execute(
        """
        CREATE TABLE units (
            code TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            parent_code TEXT REFERENCES units(code),
            schedule TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_units_parent ON units(parent_code)")
    db.execute(
        """
        CREATE TABLE employees (
            code TEXT PRIMARY KEY,
            full_name TEXT NOT NULL,
            unit_code TEXT NOT NULL REFERENCES units(code),
            title TEXT,
            grade TEXT,
            active INTEGER NOT NULL DEFAULT 1,
            hired_on TEXT,
            left_on TEXT,
            schedule TEXT,
            updated_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_employees_unit ON employees(unit_code)")
    db.execute(
        """
        CREATE TABLE devices (
            id TEXT PRIMARY KEY,
            name TEXT,
            protocol TEXT,
            unit_code TEXT,
            port TEXT,
            status TEXT NOT NULL DEFAULT 'unknown',
            status_reason TEXT,
            status_at TEXT,
            last_pull_at TEXT,
            cursor TEXT,
            clock_offset_seconds REAL,
            clock_checked_at TEXT,
            model TEXT,
            serial_number TEXT,
            firmware TEXT
        )"""
    )
    # device_id '*' enrolls a card or badge on every reader
    db.execute(
        """
        CREATE TABLE enrollments (
            id INTEGER PRIMARY KEY,
            device_id TEXT NOT NULL,
            device_user_id TEXT NOT NULL,
            employee_code TEXT NOT NULL REFERENCES employees(code),
            kind TEXT NOT NULL DEFAULT 'user',
            updated_at TEXT NOT NULL,
            UNIQUE (device_id, device_user_id)
        )"""
    )
    db.execute("CREATE INDEX idx_enrollments_employee ON enrollments(employee_code)")
    # Append-only raw log. Identity: (device_id, punched_at, device_user_id); the index
    # order lets one range scan answer "what does this device hold between t1 and t2".
    db.execute(
        """
        CREATE TABLE punches (
            id INTEGER PRIMARY KEY,
            device_id TEXT NOT NULL,
            device_user_id TEXT NOT NULL,
            punched_at TEXT NOT NULL,
            employee_code TEXT,
            verify_mode INTEGER,
            state INTEGER,
            work_code INTEGER,
            source TEXT NOT NULL,
            raw TEXT,
            received_at TEXT NOT NULL,
            clock_suspect INTEGER NOT NULL DEFAULT 0,
            hash TEXT NOT NULL
        )"""
    )
    db.execute(
        "CREATE UNIQUE INDEX idx_punches_identity ON punches(device_id, punched_at, device_user_id)"
    )
    # also finds the punches with no employee yet (employee_code IS NULL sorts first)
    db.execute("CREATE INDEX idx_punches_employee ON punches(employee_code, punched_at)")
    # An employee-day whose inputs changed since it was judged.
    db.execute(
        """
        CREATE TABLE dirty_days (
            employee_code TEXT NOT NULL,
            day TEXT NOT NULL,
            PRIMARY KEY (employee_code, day)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """
        CREATE TABLE leave (
            id INTEGER PRIMARY KEY,
            employee_code TEXT NOT NULL REFERENCES employees(code),
            date_from TEXT NOT NULL,
            date_to TEXT NOT NULL,
            part TEXT NOT NULL DEFAULT 'full',
            kind TEXT NOT NULL,
            reason TEXT NOT NULL,
            created_by TEXT NOT NULL,
            created_at TEXT NOT NULL,
            removed_by TEXT,
            removed_at TEXT,
            removed_reason TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_leave_employee ON leave(employee_code, date_from)")
    db.execute(
        """
        CREATE TABLE day_results (
            employee_code TEXT NOT NULL,
            day TEXT NOT NULL,
            unit_code TEXT,
            status TEXT NOT NULL,
            arrival TEXT,
            departure TEXT,
            late_minutes INTEGER NOT NULL DEFAULT 0,
            early_minutes INTEGER NOT NULL DEFAULT 0,
            worked_minutes INTEGER NOT NULL DEFAULT 0,
            away_minutes INTEGER NOT NULL DEFAULT 0,
            missing_in INTEGER NOT NULL DEFAULT 0,
            missing_out INTEGER NOT NULL DEFAULT 0,
            absent_fraction REAL NOT NULL DEFAULT 0,
            symbol TEXT,
            leave_kind TEXT,
            holiday TEXT,
            provisional INTEGER NOT NULL DEFAULT 0,
            punch_ids TEXT,
            detail TEXT,
            evaluated_at TEXT NOT NULL,
            PRIMARY KEY (employee_code, day)
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX idx_day_results_day ON day_results(day, unit_code)")
    db.execute(
        """
        CREATE TABLE audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_key TEXT NOT NULL,
            before TEXT,
            after TEXT,
            reason TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_audit_entity ON audit(entity, entity_key)")
    db.execute(
        """
        CREATE TABLE users (
            username TEXT PRIMARY KEY,
            full_name TEXT,
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL,
            units TEXT NOT NULL DEFAULT '[]',
            active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL
        )"""
    )
    # Requests from the web process for the collector (e.g. set a device clock): the web
    # process never opens a serial port.
    db.execute(
        """
        CREATE TABLE device_commands (
            id INTEGER PRIMARY KEY,
            device_id TEXT NOT NULL,
            command TEXT NOT NULL,
            requested_by TEXT NOT NULL,
            requested_at TEXT NOT NULL,
            done_at TEXT,
            result TEXT
        )"""
    )


@migrations()
def m002_engine(db: Database) -> None:
    """The compliance engine: per-day counts and fractions, and how far each person is judged."""
    for column, kind in (
        ("late_count", "INTEGER NOT NULL DEFAULT 0"),
        ("early_count", "INTEGER NOT NULL DEFAULT 0"),
        ("leave_fraction", "REAL NOT NULL DEFAULT 0"),
        ("present_fraction", "REAL NOT NULL DEFAULT 0"),
        ("schedule_id", "TEXT"),
    ):
        db.execute(f"ALTER TABLE day_results ADD COLUMN {column} {kind}")
    # days still open when judged; re-judged on every run until final
    db.execute("CREATE INDEX idx_day_results_provisional ON day_results(employee_code, day) WHERE provisional = 1")
    # every day of an employee up to `through` is judged under `basis` (a digest of the
    # rules and of the employee's unit, schedule and dates); a new basis re-judges all
    db.execute(
        """
        CREATE TABLE judged_through (
            employee_code TEXT PRIMARY KEY,
            through TEXT NOT NULL,
            basis TEXT NOT NULL
        ) WITHOUT ROWID"""
    )
    db.execute("CREATE INDEX idx_leave_active ON leave(employee_code, date_to) WHERE removed_at IS NULL")


@migrations()
def m004_reliability(db: Database) -> None:
    """Issue 12: the audit trail becomes a hash chain; re-marked dirty days are noticed
    while an evaluation batch is being judged outside the write lock."""
    from monitor.store.seals import AUDIT_COLUMNS, AUDIT_HEAD, GENESIS, PROTECTED, chain_hash, digest_key, head_value, table_digest

    conn = db.conn
    conn.execute("ALTER TABLE audit ADD COLUMN hash TEXT")
    previous, last_id = GENESIS, None
    rows = conn.execute(f"SELECT {', '.join(AUDIT_COLUMNS)} FROM audit ORDER BY id").fetchall()
    for row in rows:
        previous = chain_hash(previous, row)
        conn.execute("UPDATE audit SET hash = ? WHERE id = ?", (previous, row[0]))
        last_id = row[0]
    if last_id is not None:
        # unsigned until a process holding the key writes (or 'monitor init' signs it)
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (AUDIT_HEAD, head_value(last_id, previous)))
    for table, order in PROTECTED.values():
        conn.execute(
            "INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (digest_key(table), table_digest(conn, table, order))
        )
    # A day marked dirty again while it is already dirty (a punch arriving while the
    # evaluation judges that day outside any transaction) is logged here, so the batch's
    # write does not clear a mark it has not answered. The trigger fires before the
    # insert is ignored, whoever inserts the mark; AUTOINCREMENT never reuses a number,
    # so "logged after the batch was read" is "seq above the number noted then".
    conn.execute(
        """
        CREATE TABLE dirty_again (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            employee_code TEXT NOT NULL,
            day TEXT NOT NULL
        )"""
    )
    conn.execute(
        """
        CREATE TRIGGER dirty_days_again BEFORE INSERT ON dirty_days
        WHEN EXISTS (SELECT 1 FROM dirty_days WHERE employee_code = NEW.employee_code AND day = NEW.day)
        BEGIN
            INSERT INTO dirty_again(employee_code, day) VALUES (NEW.employee_code, NEW.day);
        END"""
    )
