-- The authority's directory. Ids are TEXT (UUID), times are Unix seconds, lists are JSON text.
CREATE TABLE tenants (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL UNIQUE,
    domains      TEXT NOT NULL,
    display_name TEXT NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE TABLE tenant_aliases (
    alias     TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE
);
CREATE TABLE applications (
    app_id                        TEXT PRIMARY KEY,
    object_id                     TEXT NOT NULL UNIQUE,
    tenant_id                     TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name                          TEXT NOT NULL,
    identifier_uris               TEXT NOT NULL,
    app_roles                     TEXT NOT NULL,
    access_token_accepted_version INTEGER NOT NULL,
    sign_in_audience              TEXT NOT NULL,
    app_role_assignment_required  INTEGER NOT NULL,
    created_at                    INTEGER NOT NULL,
    UNIQUE (tenant_id, name)
);
CREATE TABLE identifier_uris (
    uri    TEXT NOT NULL,
    app_id TEXT NOT NULL REFERENCES applications(app_id) ON DELETE CASCADE,
    PRIMARY KEY (uri, app_id)
);
CREATE TABLE service_principals (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    app_id       TEXT NOT NULL,
    display_name TEXT NOT NULL,
    kind         TEXT NOT NULL,
    UNIQUE (tenant_id, app_id)
);
CREATE TABLE password_credentials (
    key_id       TEXT PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES applications(app_id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    hint         TEXT NOT NULL,
    salt         BLOB NOT NULL,
    hash         BLOB NOT NULL,
    start_at     INTEGER NOT NULL,
    end_at       INTEGER NOT NULL
);
CREATE INDEX password_credentials_app ON password_credentials (app_id);
CREATE TABLE key_credentials (
    key_id       TEXT PRIMARY KEY,
    app_id       TEXT NOT NULL REFERENCES applications(app_id) ON DELETE CASCADE,
    display_name TEXT NOT NULL,
    cert_der     BLOB NOT NULL,
    sha1         BLOB NOT NULL,
    sha256       BLOB NOT NULL,
    start_at     INTEGER NOT NULL,
    end_at       INTEGER NOT NULL
);
CREATE INDEX key_credentials_app ON key_credentials (app_id);
CREATE TABLE app_role_assignments (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    principal_id TEXT NOT NULL,
    resource_id  TEXT NOT NULL,
    app_role_id  TEXT NOT NULL,
    UNIQUE (principal_id, resource_id, app_role_id)
);
CREATE TABLE signing_keys (
    tenant_id          TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kid                TEXT NOT NULL,
    status             TEXT NOT NULL,
    sealed_private_key BLOB NOT NULL,
    cert_der           BLOB NOT NULL,
    created_at         INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, kid)
);
CREATE TABLE seen_assertions (
    tenant_id  TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, client_id, jti)
);
CREATE TABLE federated_credentials (
    id        TEXT PRIMARY KEY,
    app_id    TEXT NOT NULL REFERENCES applications(app_id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    issuer    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    audiences TEXT NOT NULL,
    UNIQUE (app_id, name)
);
-- Managed identities: system-assigned ones belong to a resource, user-assigned ones stand alone.
CREATE TABLE managed_identities (
    client_id    TEXT PRIMARY KEY,
    principal_id TEXT NOT NULL UNIQUE,
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    resource_id  TEXT NOT NULL,
    UNIQUE (tenant_id, kind, name)
);
-- Resources that carry identities (a workflow app, a gateway, a plain host).
CREATE TABLE identity_resources (
    name                   TEXT PRIMARY KEY,
    tenant_id              TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind                   TEXT NOT NULL,
    resource_id            TEXT NOT NULL,
    sealed_identity_header BLOB NOT NULL,
    system_identity        TEXT,
    user_identities        TEXT NOT NULL
);
