"""The SQLite schema, as the migrations that build it: one file per workspace holds every
table. Existing workspaces depend on this history: append a migration, never edit one."""

from __future__ import annotations

# Migration N (1-based) brings PRAGMA user_version from N-1 to N. Append, never edit.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        """CREATE TABLE designs (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,           -- the current revision's name
            revision INTEGER NOT NULL,    -- the current (highest) revision
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            deleted_at REAL               -- soft delete: NULL while visible
        )""",
        "CREATE INDEX designs_by_update ON designs (updated_at)",
        """CREATE TABLE design_revisions (
            design_id TEXT NOT NULL REFERENCES designs (id),
            revision INTEGER NOT NULL,
            name TEXT NOT NULL,
            design_json TEXT NOT NULL,
            saved_at REAL NOT NULL,
            base_revision INTEGER,
            note TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (design_id, revision)
        )""",
        """CREATE TABLE runs (
            id TEXT PRIMARY KEY,
            design_id TEXT REFERENCES designs (id),
            design_revision INTEGER,
            design_json TEXT NOT NULL,
            config_json TEXT NOT NULL,
            status TEXT NOT NULL,
            summary_json TEXT,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            owner_pid INTEGER NOT NULL,
            owner_host TEXT NOT NULL,
            owner_started TEXT            -- owner's start time (Linux /proc): pid reuse guard
        )""",
        "CREATE INDEX runs_by_design ON runs (design_id, created_at)",
        "CREATE INDEX runs_by_status ON runs (status)",
        """CREATE TABLE metrics (
            run_id TEXT NOT NULL REFERENCES runs (id),
            step INTEGER NOT NULL,
            metrics_json TEXT NOT NULL,
            recorded_at REAL NOT NULL
        )""",
        "CREATE INDEX metrics_by_run ON metrics (run_id, step)",
        # AUTOINCREMENT: ids are never reused, so the highest id is the newest checkpoint
        # even across runs and even if the wall clock jumps.
        """CREATE TABLE checkpoints (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs (id),
            path TEXT NOT NULL,
            step INTEGER NOT NULL,
            metrics_json TEXT,
            created_at REAL NOT NULL
        )""",
        "CREATE INDEX checkpoints_by_run ON checkpoints (run_id, id)",
        # No foreign key on design_id: telemetry may mention designs that never got saved.
        """CREATE TABLE events (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            at REAL NOT NULL,
            request_id TEXT,
            design_id TEXT,
            data_json TEXT
        )""",
        "CREATE INDEX events_by_kind ON events (kind, id)",
    ),
    # 2: cross-kernel run control. Under Voila every page load is a new kernel: a page
    # that reloads mid-training watches (and may stop) a run owned by another process.
    (
        "ALTER TABLE runs ADD COLUMN watched_at REAL",  # last heartbeat of a watching page
        "ALTER TABLE runs ADD COLUMN stop_requested_at REAL",
    ),
    # 3: evaluations of a run's checkpoint (N full games, greedy policy). AUTOINCREMENT:
    # the highest id is a run's latest evaluation, whatever the wall clock did.
    (
        """CREATE TABLE evaluations (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id TEXT NOT NULL REFERENCES runs (id),
            step INTEGER,                 -- the checkpoint's training step (moves)
            games INTEGER NOT NULL,
            seed INTEGER NOT NULL,
            mean_score REAL NOT NULL,
            se REAL NOT NULL,             -- standard error of the mean score
            best_score INTEGER NOT NULL,
            max_tile_rates_json TEXT NOT NULL,  -- {"128": share of games, ...}
            created_at REAL NOT NULL
        )""",
        "CREATE INDEX evaluations_by_run ON evaluations (run_id, id)",
    ),
)
SCHEMA_VERSION = len(MIGRATIONS)
