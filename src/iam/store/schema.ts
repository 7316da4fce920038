/**
 * The endpoint's database schema, declared in one place. Times are Unix milliseconds; names
 * that IAM compares without regard to case (user, role and virtual MFA device names) are
 * `COLLATE NOCASE`, as IAM refuses "alice" when "Alice" exists. A column, once shipped, is
 * retired rather than reused; `SCHEMA_VERSION` is SQLite's `user_version`.
 */

export const SCHEMA_VERSION = 1;

export const SCHEMA = `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE users (
  user_name   TEXT PRIMARY KEY COLLATE NOCASE,
  user_id     TEXT NOT NULL UNIQUE,
  path        TEXT NOT NULL,
  create_date INTEGER NOT NULL,
  tags        TEXT NOT NULL DEFAULT '[]'
);

-- user_name NULL: a key of the account's root user.
CREATE TABLE access_keys (
  access_key_id TEXT PRIMARY KEY,
  secret        TEXT NOT NULL,
  user_name     TEXT COLLATE NOCASE REFERENCES users(user_name),
  status        TEXT NOT NULL CHECK (status IN ('Active', 'Inactive')),
  create_date   INTEGER NOT NULL
);
CREATE INDEX access_keys_by_user ON access_keys(user_name);

CREATE TABLE login_profiles (
  user_name      TEXT PRIMARY KEY COLLATE NOCASE REFERENCES users(user_name),
  password_hash  TEXT NOT NULL,
  reset_required INTEGER NOT NULL,
  create_date    INTEGER NOT NULL
);

-- A TOTP device: virtual (created by CreateVirtualMFADevice; serial is its ARN) or hardware
-- (imported from a seed file; serial is the token's). Assigned to a user iff enable_date is
-- set; last_step/step_offset are the strict verifier's state (src/otp/verifier.ts).
CREATE TABLE mfa_devices (
  serial      TEXT PRIMARY KEY,
  kind        TEXT NOT NULL CHECK (kind IN ('virtual', 'hardware')),
  name        TEXT COLLATE NOCASE,
  path        TEXT,
  secret      BLOB NOT NULL,
  algorithm   TEXT NOT NULL,
  digits      INTEGER NOT NULL,
  period      INTEGER NOT NULL,
  user_name   TEXT COLLATE NOCASE REFERENCES users(user_name),
  enable_date INTEGER,
  last_step   INTEGER,
  step_offset INTEGER NOT NULL DEFAULT 0,
  create_date INTEGER NOT NULL,
  tags        TEXT NOT NULL DEFAULT '[]',
  CHECK ((user_name IS NULL) = (enable_date IS NULL)),
  CHECK (kind = 'hardware' OR (name IS NOT NULL AND path IS NOT NULL))
);
CREATE UNIQUE INDEX virtual_mfa_names ON mfa_devices(path, name COLLATE NOCASE) WHERE kind = 'virtual';
CREATE INDEX mfa_devices_by_user ON mfa_devices(user_name, serial) WHERE user_name IS NOT NULL;

CREATE TABLE roles (
  role_name            TEXT PRIMARY KEY COLLATE NOCASE,
  role_id              TEXT NOT NULL UNIQUE,
  path                 TEXT NOT NULL,
  trust_policy         TEXT NOT NULL,
  description          TEXT,
  max_session_duration INTEGER NOT NULL,
  create_date          INTEGER NOT NULL,
  tags                 TEXT NOT NULL DEFAULT '[]'
);

-- Temporary credentials from GetSessionToken (kind 'session', user_name NULL for the root)
-- or AssumeRole (kind 'role'). mfa_auth_time is set when MFA was presented (ms). Clustered on
-- the key ID (WITHOUT ROWID, no other index): a session is one B-tree insert, the cheapest
-- commit for the call made most often; expired ones are purged by a scan at start.
CREATE TABLE sessions (
  access_key_id   TEXT PRIMARY KEY,
  secret          TEXT NOT NULL,
  token           TEXT NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('session', 'role')),
  user_name       TEXT COLLATE NOCASE,
  role_name       TEXT COLLATE NOCASE,
  role_id         TEXT,
  session_name    TEXT,
  source_identity TEXT,
  mfa_auth_time   INTEGER,
  expiration      INTEGER NOT NULL,
  create_date     INTEGER NOT NULL
) WITHOUT ROWID;
`;
