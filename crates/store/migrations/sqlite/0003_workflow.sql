-- Workflow run history. Names compare case-insensitively, as Logic Apps' do. Times are RFC 3339
-- text (sub-second, UTC), so they sort as text. `document` is the engine's JSON for the run or
-- action (code, error, trigger, inputs, outputs, retry history, ...): opaque to the store.
-- Run ids are reverse-tick strings (newest sorts first), as the runtime's are.
CREATE TABLE workflow_runs (
    workflow   TEXT NOT NULL COLLATE NOCASE,
    run_id     TEXT NOT NULL,
    status     TEXT NOT NULL,
    start_time TEXT NOT NULL,
    end_time   TEXT,
    document   TEXT NOT NULL,
    PRIMARY KEY (workflow, run_id)
);
CREATE INDEX workflow_runs_status ON workflow_runs (workflow, status, run_id);
-- One row per action execution; `repetition` is '' outside loops, else the repetition name
-- ("000003", "000001-000002" for nested loops).
CREATE TABLE workflow_run_actions (
    workflow   TEXT NOT NULL COLLATE NOCASE,
    run_id     TEXT NOT NULL,
    action     TEXT NOT NULL COLLATE NOCASE,
    repetition TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    status     TEXT NOT NULL,
    start_time TEXT,
    end_time   TEXT,
    document   TEXT NOT NULL,
    PRIMARY KEY (workflow, run_id, action, repetition),
    FOREIGN KEY (workflow, run_id) REFERENCES workflow_runs (workflow, run_id) ON DELETE CASCADE
);
-- The key that signs a workflow's callback URLs (`sig`), sealed under the root key.
CREATE TABLE workflow_access_keys (
    workflow   TEXT PRIMARY KEY COLLATE NOCASE,
    sealed_key BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
