-- Key Vault data plane. Names compare case-insensitively, as Key Vault's do. Times are Unix
-- seconds. `meta` is the service's JSON (attributes, tags, public key, policy); secret material
-- lives only in `sealed`, encrypted under a per-version key that the root key wraps.
CREATE TABLE vaults (
    name             TEXT PRIMARY KEY COLLATE NOCASE,
    tenant_id        TEXT NOT NULL,
    retention_days   INTEGER NOT NULL,
    purge_protection INTEGER NOT NULL,
    created_at       INTEGER NOT NULL
);
CREATE TABLE vault_role_assignments (
    vault        TEXT NOT NULL COLLATE NOCASE REFERENCES vaults(name) ON DELETE CASCADE,
    principal_id TEXT NOT NULL,
    role_id      TEXT NOT NULL,
    scope        TEXT NOT NULL COLLATE NOCASE,
    PRIMARY KEY (vault, principal_id, role_id, scope)
);
CREATE TABLE vault_objects (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    vault       TEXT NOT NULL COLLATE NOCASE REFERENCES vaults(name) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL COLLATE NOCASE,
    version     TEXT NOT NULL COLLATE NOCASE,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    meta        TEXT NOT NULL,
    wrapped_key BLOB,
    sealed      BLOB,
    UNIQUE (vault, kind, name, version)
);
CREATE INDEX vault_objects_by_name ON vault_objects (vault, kind, name, seq);
CREATE TABLE vault_deleted (
    vault      TEXT NOT NULL COLLATE NOCASE REFERENCES vaults(name) ON DELETE CASCADE,
    kind       TEXT NOT NULL,
    name       TEXT NOT NULL COLLATE NOCASE,
    deleted_at INTEGER NOT NULL,
    purge_at   INTEGER NOT NULL,
    PRIMARY KEY (vault, kind, name)
);
