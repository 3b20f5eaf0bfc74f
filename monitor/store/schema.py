"""The database schema, as sqlite-utils migrations.

Migrations are additive: a later feature adds a new function at the end (new tables,
new columns with defaults, new indexes); an applied migration is never edited.
"""

from __future__ import annotations

import json

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from monitor.store.audit_subject import audit_subject

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
def m006_push(db: Database) -> None:
    """Clocks that push (ADMS/iclock): onboarding by serial number, what a clock sent
    while it waited for approval, its operation log, and commands sent on heartbeats."""
    # state: waiting (called in, nothing attributed), accepted (device_id set), rejected
    db.execute(
        """
        CREATE TABLE push_devices (
            sn TEXT PRIMARY KEY,
            state TEXT NOT NULL DEFAULT 'waiting',
            device_id TEXT UNIQUE,
            comm_key TEXT,
            first_seen_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            last_address TEXT,
            push_version TEXT,
            info TEXT,
            attlog_stamp TEXT,
            operlog_stamp TEXT,
            lines_refused INTEGER NOT NULL DEFAULT 0,
            last_refusal TEXT,
            decided_by TEXT,
            decided_at TEXT,
            decision_reason TEXT
        )"""
    )
    # uploads of a clock waiting for approval, kept as sent: parsed with the clock's
    # settings when it is accepted, deleted when it is rejected
    db.execute(
        """
        CREATE TABLE push_held (
            id INTEGER PRIMARY KEY,
            sn TEXT NOT NULL REFERENCES push_devices(sn),
            table_name TEXT NOT NULL,
            stamp TEXT,
            body TEXT NOT NULL,
            received_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_push_held_sn ON push_held(sn, id)")
    # OPLOG lines; a resent upload must not add them twice
    db.execute(
        """
        CREATE TABLE device_operations (
            id INTEGER PRIMARY KEY,
            device_id TEXT NOT NULL,
            done_at TEXT NOT NULL,
            code INTEGER NOT NULL,
            name TEXT NOT NULL,
            admin TEXT NOT NULL,
            objects TEXT NOT NULL,
            tamper INTEGER NOT NULL DEFAULT 0,
            raw TEXT,
            received_at TEXT NOT NULL,
            UNIQUE (device_id, done_at, code, admin, objects)
        )"""
    )
    db.execute("CREATE INDEX idx_device_operations_tamper ON device_operations(tamper, done_at) WHERE tamper = 1")
    # a push clock fetches its commands on a heartbeat: when one was handed over
    db.execute("ALTER TABLE device_commands ADD COLUMN sent_at TEXT")
    db.execute("CREATE INDEX idx_device_commands_pending ON device_commands(device_id, id) WHERE done_at IS NULL")


@migrations()
def m007_month_close(db: Database) -> None:
    """Closing the month per unit: its state, every step with who and when, and the
    punch log's chain head at each lock (issue 10)."""
    # one row per unit and month that ever left 'open'; no row means open
    db.execute(
        """
        CREATE TABLE month_close (
            unit_code TEXT NOT NULL REFERENCES units(code),
            month TEXT NOT NULL,
            state TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (unit_code, month)
        ) WITHOUT ROWID"""
    )
    # the history: never updated or deleted; a reopen adds a row and keeps the locks before it
    db.execute(
        """
        CREATE TABLE month_close_steps (
            id INTEGER PRIMARY KEY,
            unit_code TEXT NOT NULL,
            month TEXT NOT NULL,
            step TEXT NOT NULL,
            from_state TEXT NOT NULL,
            to_state TEXT NOT NULL,
            username TEXT NOT NULL,
            full_name TEXT,
            role TEXT NOT NULL,
            at TEXT NOT NULL,
            reason TEXT,
            chain_head TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_month_close_steps ON month_close_steps(unit_code, month, id)")
    db.execute("CREATE INDEX idx_month_close_locked ON month_close(month, unit_code) WHERE state = 'locked'")
    db.execute("CREATE INDEX idx_audit_at ON audit(at)")


@migrations()
def m008_notify(db: Database) -> None:
    """Telling people: e-mail addresses and opt-outs, the notification log, alert states."""
    db.execute("ALTER TABLE users ADD COLUMN email TEXT")
    db.execute("ALTER TABLE users ADD COLUMN language TEXT")  # NULL: the site's [notify] language
    db.execute("ALTER TABLE users ADD COLUMN notify_opt_out TEXT NOT NULL DEFAULT '[]'")  # kinds, JSON
    db.execute("ALTER TABLE employees ADD COLUMN email TEXT")
    # Every notification, one row per (what, whom, which day): the unique key is claimed
    # before anything is sent, so a restart never sends the same digest twice.
    db.execute(
        """
        CREATE TABLE notifications (
            id INTEGER PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            kind TEXT NOT NULL,
            channel TEXT NOT NULL,
            recipient TEXT NOT NULL,
            address TEXT,
            subject TEXT NOT NULL,
            payload TEXT,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            next_attempt_at TEXT,
            sent_at TEXT,
            error TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_notifications_status ON notifications(status, next_attempt_at)")
    db.execute("CREATE INDEX idx_notifications_created ON notifications(created_at)")
    # A condition IT is told about (a device offline, a clock off): when it was first
    # seen, when it was last alerted, so alerts are rate-limited and end with one
    # "back to normal".
    db.execute(
        """
        CREATE TABLE alert_states (
            key TEXT PRIMARY KEY,
            check_name TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            alerted_at TEXT,
            summary TEXT NOT NULL
        ) WITHOUT ROWID"""
    )


@migrations()
def m003_requests(db: Database) -> None:
    """Requests about judged days (explanations, corrections, leave) and their effects.

    Manual punches from approved corrections live in their own table: the chained punch
    log is never edited, so ``monitor verify`` still passes. Judged days gain what
    approved explanations excuse, beside the machine's own counts.
    """
    db.execute(
        """
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY,
            employee_code TEXT NOT NULL REFERENCES employees(code),
            kind TEXT NOT NULL,
            day_from TEXT NOT NULL,
            day_to TEXT NOT NULL,
            part TEXT,
            violation TEXT,
            minutes INTEGER,
            category TEXT,
            leave_kind TEXT,
            claimed_in TEXT,
            claimed_out TEXT,
            reason TEXT NOT NULL,
            document_no TEXT,
            status TEXT NOT NULL,
            approver_unit TEXT,
            filed_by TEXT NOT NULL,
            on_behalf INTEGER NOT NULL DEFAULT 0,
            filed_at TEXT NOT NULL,
            decided_by TEXT,
            decided_at TEXT,
            decision_comment TEXT,
            revoked_by TEXT,
            revoked_at TEXT,
            revoke_reason TEXT,
            leave_id INTEGER
        )"""
    )
    # the inbox: pending requests routed to some units, oldest first
    db.execute("CREATE INDEX idx_requests_inbox ON requests(status, approver_unit, id)")
    db.execute("CREATE INDEX idx_requests_employee ON requests(employee_code, day_from)")
    db.execute(
        """
        CREATE TABLE request_files (
            id INTEGER PRIMARY KEY,
            request_id INTEGER NOT NULL REFERENCES requests(id),
            file_name TEXT NOT NULL,
            content_type TEXT NOT NULL,
            size INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            added_by TEXT NOT NULL,
            added_at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_request_files_request ON request_files(request_id)")
    db.execute(
        """
        CREATE TABLE manual_punches (
            id INTEGER PRIMARY KEY,
            employee_code TEXT NOT NULL REFERENCES employees(code),
            punched_at TEXT NOT NULL,
            direction TEXT NOT NULL,
            request_id INTEGER NOT NULL REFERENCES requests(id),
            author TEXT NOT NULL,
            approver TEXT NOT NULL,
            reason TEXT NOT NULL,
            created_at TEXT NOT NULL,
            revoked_by TEXT,
            revoked_at TEXT,
            revoke_reason TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_manual_punches_employee ON manual_punches(employee_code, punched_at) WHERE revoked_at IS NULL")
    db.execute("ALTER TABLE users ADD COLUMN employee_code TEXT")
    db.execute("ALTER TABLE users ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0")
    db.execute("ALTER TABLE leave ADD COLUMN request_id INTEGER")
    for column, kind in (
        ("excused_late_minutes", "INTEGER NOT NULL DEFAULT 0"),
        ("excused_late_count", "INTEGER NOT NULL DEFAULT 0"),
        ("excused_early_minutes", "INTEGER NOT NULL DEFAULT 0"),
        ("excused_early_count", "INTEGER NOT NULL DEFAULT 0"),
        ("excused_away_minutes", "INTEGER NOT NULL DEFAULT 0"),
        ("excused_missing", "INTEGER NOT NULL DEFAULT 0"),
        ("excused_absent_fraction", "REAL NOT NULL DEFAULT 0"),
        ("approved_symbol", "TEXT"),
        ("corrected", "INTEGER NOT NULL DEFAULT 0"),
    ):
        db.execute(f"ALTER TABLE day_results ADD COLUMN {column} {kind}")


@migrations()
def m005_web_sessions(db: Database) -> None:
    """Revocable web sessions, the log of login attempts, and an index for the unit
    chart (issue 11).

    A session row is keyed by the SHA-256 of the random id kept in the signed cookie, so
    a copy of the database does not hand out live sessions. Attempts are kept for the
    throttle (per username and per address) and for the admin to read.
    """
    db.execute(
        """
        CREATE TABLE web_sessions (
            id TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            created_at TEXT NOT NULL,
            last_seen_at TEXT NOT NULL,
            address TEXT,
            user_agent TEXT,
            ended_at TEXT,
            ended_by TEXT,
            ended_reason TEXT
        )"""
    )
    db.execute("CREATE INDEX idx_web_sessions_user ON web_sessions(username, ended_at)")
    db.execute(
        """
        CREATE TABLE login_attempts (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            username TEXT NOT NULL,
            address TEXT NOT NULL,
            succeeded INTEGER NOT NULL
        )"""
    )
    db.execute("CREATE INDEX idx_login_attempts_user ON login_attempts(username, at)")
    db.execute("CREATE INDEX idx_login_attempts_address ON login_attempts(address, at)")
    # The unit page's 30-day chart: a covering index, so a unit's month of days is one
    # range per unit instead of every unit's days looked up row by row
    db.execute(
        "CREATE INDEX idx_day_results_unit_trend ON day_results(unit_code, day, status, late_count, late_minutes, absent_fraction)"
    )


@migrations()
def m009_calendar_audit(db: Database) -> None:
    """The audit page (issue 10): whom each audit row concerns, an employee and a unit,
    filled in for the rows already there, and indexes for its filters."""
    db.execute("ALTER TABLE audit ADD COLUMN employee_code TEXT")
    db.execute("ALTER TABLE audit ADD COLUMN unit_code TEXT")
    conn = db.conn
    rows = conn.execute("SELECT id, entity, entity_key, before, after FROM audit").fetchall()
    conn.executemany(
        "UPDATE audit SET employee_code = ?, unit_code = ? WHERE id = ?",
        [(*audit_subject(conn, entity, key, json.loads(before) if before else None, json.loads(after) if after else None),
          row_id) for row_id, entity, key, before, after in rows],
    )
    db.execute("CREATE INDEX idx_audit_employee ON audit(employee_code, at)")
    db.execute("CREATE INDEX idx_audit_unit ON audit(unit_code, at)")
    db.execute("CREATE INDEX idx_audit_actor ON audit(actor, at)")


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


@migrations()
def m010_web_speed(db: Database) -> None:
    """The start page counts a province's day (10,000 people) from the day index alone:
    the index carries the columns the counts read, so SQLite no longer looks up every
    row in the table. The leading columns are unchanged, so every query that used it
    still can."""
    db.execute("DROP INDEX idx_day_results_day")
    db.execute(
        "CREATE INDEX idx_day_results_day ON day_results"
        "(day, unit_code, status, late_minutes, early_minutes, away_minutes, missing_in, missing_out)"
    )


@migrations()
def m012_month_roster(db: Database) -> None:
    """What a locked unit-month's timesheet shows of the directory, frozen by the lock:
    the unit's name and its parent's (the sheet's "Bộ phận" and "Đơn vị" lines), and
    each listed employee's full name and grade-or-title. Renaming, promoting or moving
    someone after the lock no longer changes the signed C01-HD. Months locked before
    this migration have no rows and keep exporting from the live directory."""
    # kind 'unit': code = the unit, name = its name, detail = its parent's name (NULL at the top);
    # kind 'employee': code = the employee, name = full name, detail = grade, else title, else ''.
    # No foreign keys: the frozen row outlives a renamed or removed directory row.
    db.execute(
        """
        CREATE TABLE month_roster (
            unit_code TEXT NOT NULL,
            month TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('unit', 'employee')),
            code TEXT NOT NULL,
            name TEXT NOT NULL,
            detail TEXT,
            PRIMARY KEY (unit_code, month, kind, code)
        ) WITHOUT ROWID"""
    )


@migrations()
def m013_push_spool(db: Database) -> None:
    """``push_held`` also holds the batch uploads of accepted clocks, from the answer to
    the clock until the upload worker has stored them (monitor.service.push_receiver): a
    backlog of many megabytes. Its size per clock is asked for at every upload, and
    ``SUM(LENGTH(body))`` read every body to count it (12 ms for 7 MB held): each row
    now carries its size, and an index holds it beside the serial number."""
    db.execute("ALTER TABLE push_held ADD COLUMN size INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE push_held SET size = LENGTH(body)")
    db.execute("CREATE INDEX idx_push_held_size ON push_held(sn, size)")
