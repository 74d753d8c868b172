"""Ordered schema migrations of the device store. Append only: never edit a shipped step.

``MIGRATIONS[i]`` takes the schema from version ``i`` to ``i + 1``.
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema
    """
    CREATE TABLE plans (
        version INTEGER PRIMARY KEY,
        plan_id TEXT NOT NULL,
        plan_text TEXT NOT NULL,
        valid_from TEXT NOT NULL,
        valid_until TEXT NOT NULL,
        received_at TEXT NOT NULL
    );
    CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        exercise_id TEXT NOT NULL,
        side TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT NOT NULL,
        rep_count INTEGER NOT NULL,
        sets_done INTEGER NOT NULL,
        completed INTEGER NOT NULL,
        plan_version INTEGER,
        appointment_id TEXT,
        data TEXT NOT NULL
    );
    CREATE INDEX sessions_started ON sessions(started_at);
    CREATE TABLE reps (
        session_id TEXT NOT NULL REFERENCES sessions(id),
        set_no INTEGER NOT NULL,
        n INTEGER NOT NULL,
        rom_deg REAL NOT NULL,
        hold_s REAL NOT NULL,
        up_s REAL NOT NULL,
        down_s REAL NOT NULL,
        t_start_s REAL NOT NULL,
        t_end_s REAL NOT NULL,
        flags TEXT NOT NULL,
        PRIMARY KEY (session_id, set_no, n)
    );
    CREATE TABLE pain_reports (
        id TEXT PRIMARY KEY,
        session_id TEXT,
        phase TEXT NOT NULL,
        rating INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 10),
        note TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE feedback (
        id TEXT PRIMARY KEY,
        session_id TEXT,
        rating INTEGER,
        text TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE TABLE messages (
        id TEXT PRIMARY KEY,
        direction TEXT NOT NULL,
        text TEXT NOT NULL,
        at TEXT NOT NULL,
        acked_at TEXT
    );
    CREATE TABLE appointments (
        id TEXT PRIMARY KEY,
        start_at TEXT NOT NULL,
        minutes INTEGER NOT NULL,
        started_at TEXT
    );
    CREATE TABLE questionnaires (
        id TEXT PRIMARY KEY,
        questionnaire TEXT NOT NULL,
        at TEXT NOT NULL,
        answers TEXT NOT NULL
    );
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        channel TEXT NOT NULL,
        record_id TEXT NOT NULL,
        payload BLOB NOT NULL,
        created_at TEXT NOT NULL
    );
    """,
    # 2: paired BLE wearables (sensors/ble, rehab pair) and wearable outages kept with sets
    """
    CREATE TABLE wearables (
        address TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        kind TEXT NOT NULL,
        segment TEXT NOT NULL,
        paired_at TEXT NOT NULL,
        battery_pct INTEGER
    );
    CREATE TABLE wearable_gaps (
        session_id TEXT NOT NULL,
        set_no INTEGER NOT NULL,
        sensor_id TEXT NOT NULL,
        segment TEXT NOT NULL,
        start_s REAL NOT NULL,
        end_s REAL,
        reason TEXT NOT NULL
    );
    CREATE INDEX wearable_gaps_session ON wearable_gaps(session_id, set_no);
    """,
    # 3: security audit trail (therapy/audit.py; kiosk unlocks, PIN/code changes, settings,
    # pairing, plans applied/rejected); also the lockout counter that survives restarts
    """
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        kind TEXT NOT NULL,
        outcome TEXT NOT NULL,
        actor TEXT NOT NULL,
        detail TEXT NOT NULL
    );
    CREATE INDEX audit_kind ON audit(kind, seq);
    """,
    # 4: where each rep's ROM came from when a camera measured with the wearables
    # (issue 15: CameraImuSet's rep sources, "camera" / "imu" / "camera+imu"; "" before)
    """
    ALTER TABLE reps ADD COLUMN source TEXT NOT NULL DEFAULT '';
    """,
    # 5: records the clinic refused for good (issue 12 follow-up, mqtt/delivery.py refusals):
    # the row stays, marked with the clinic's reason code and when, and is not sent again
    # until a maintainer requeues it (`rehab sync --retry-refused`)
    """
    ALTER TABLE outbox ADD COLUMN refused_code TEXT;
    ALTER TABLE outbox ADD COLUMN refused_at TEXT;
    """,
    # 6: the running session's journal (issue 15, lose no data: therapy/drafts.py): its start
    # (header JSON: exercise, targets, plan version, appointment), the sets begun and their
    # sources, the pain before, and each confirmed rep as it happens, so a crash or power cut
    # mid-set loses none; the next start stores a draft left behind as a session not
    # completed and removes it in the same transaction (as a normal finish does). ``owner``
    # names the writing process (a live one's draft is not taken); ``quarantined`` says why
    # a draft that cannot be read was kept aside instead
    """
    CREATE TABLE session_drafts (
        session_id TEXT PRIMARY KEY,
        header TEXT NOT NULL,
        owner TEXT NOT NULL,
        sets_done INTEGER NOT NULL DEFAULT 0,
        sources TEXT NOT NULL DEFAULT '[]',
        pain_before TEXT,
        last_at TEXT NOT NULL,
        quarantined TEXT
    );
    CREATE TABLE draft_reps (
        session_id TEXT NOT NULL,
        set_no INTEGER NOT NULL,
        n INTEGER NOT NULL,
        rep TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (session_id, set_no, n)
    );
    """,
    # 7: the running set's wearable outages in the journal (issue 15, lose no data:
    # therapy/drafts.py): each as it starts (end_s NULL) and again as it ends, so a crash
    # mid-set keeps them; the next start stores them in wearable_gaps with the session (a
    # set's end still saves its gaps there itself, as before)
    """
    CREATE TABLE draft_gaps (
        session_id TEXT NOT NULL,
        set_no INTEGER NOT NULL,
        sensor_id TEXT NOT NULL,
        segment TEXT NOT NULL,
        start_s REAL NOT NULL,
        end_s REAL,
        reason TEXT NOT NULL,
        PRIMARY KEY (session_id, set_no, sensor_id, start_s)
    );
    """,
    # 8: the clock pair of a journaled wearable outage (issue 15, recovered drop-outs with
    # their time of day: therapy/journal.py ClockPair): the wall clock (ISO time) and the
    # host's monotonic clock (seconds, what start_s and end_s are on) read together when the
    # set's wearables began to be supervised, written with each outage row, so the next
    # start places a killed set's drop-outs in calendar time as the live session does.
    # NULL in rows an older program wrote: those recover without a time of day, as before
    """
    ALTER TABLE draft_gaps ADD COLUMN wall_at TEXT;
    ALTER TABLE draft_gaps ADD COLUMN host_s REAL;
    """,
)
