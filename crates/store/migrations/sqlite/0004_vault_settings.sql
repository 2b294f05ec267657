-- Vault-wide settings of the Key Vault data plane: certificate issuers (one row per issuer) and
-- the certificate contacts (one row per vault). They have no versions and no soft delete (Key
-- Vault deletes them outright). `meta` is the service's JSON; secret material (an issuer's
-- password) lives only in `sealed`, under a data key the root key wraps.
CREATE TABLE vault_settings (
    vault       TEXT NOT NULL COLLATE NOCASE REFERENCES vaults(name) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL COLLATE NOCASE,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    meta        TEXT NOT NULL,
    wrapped_key BLOB,
    sealed      BLOB,
    PRIMARY KEY (vault, kind, name)
);
