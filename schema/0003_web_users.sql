-- The dashboard's users and its audit log (web/).
--
-- web_users: local accounts; hash is an argon2id encoded string
-- ($argon2id$v=19$m=...,t=...,p=...$salt$hash), never the password.
-- web_audit: one row per access to sensitive data (a recording, a pcap)
-- and per change of a user: who, what, when, from where.  Plain tables:
-- small, kept forever (no partitions, no retention).
CREATE TABLE IF NOT EXISTS web_users (
    name text PRIMARY KEY,
    role text NOT NULL CHECK (role IN ('viewer', 'listener', 'admin')),
    hash text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS web_audit (
    id bigserial PRIMARY KEY,
    ts timestamptz NOT NULL DEFAULT now(),
    username text NOT NULL,
    action text NOT NULL,
    object text,
    source text
);

CREATE INDEX IF NOT EXISTS web_audit_ts ON web_audit (ts);
