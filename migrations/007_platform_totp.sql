-- Platform operators sign in with a password and then a TOTP code (RFC 6238), or a one-time recovery code.
-- These are platform tables: no tenant_id, no row-level security, and no privilege at all for brigade_app. Only the
-- platform path (SET LOCAL ROLE brigade_platform) reaches them, so a tenant transaction can never read a TOTP secret.

-- An operator's active second factor. The secret is kept as the base32 text the authenticator app was given: the
-- server must be able to compute codes from it, so it cannot be hashed; it is protected by the grants below.
CREATE TABLE platform_totp (
  user_id uuid PRIMARY KEY REFERENCES platform_users (id) ON DELETE CASCADE,
  secret text NOT NULL,
  -- The time step of the last code accepted: a code of that step or earlier is a replay.
  last_counter bigint NOT NULL,
  enrolled_at timestamptz NOT NULL DEFAULT now()
);

-- The step between a correct password and a correct second factor: single use, five minutes, five wrong codes.
-- An enrolment's new secret waits here (pending_secret) until a code from it is verified, so it dies with the
-- challenge and nobody else's sign-in can replace it.
CREATE TABLE platform_sign_in_challenges (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES platform_users (id) ON DELETE CASCADE,
  token_hash bytea NOT NULL UNIQUE,
  pending_secret text,
  failures integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  ip text,
  user_agent text
);
CREATE INDEX platform_sign_in_challenges_user ON platform_sign_in_challenges (user_id, created_at);

-- Ten per enrolment, shown once; SHA-256 of 80 random bits each (see src/identity/totp.ts for why not argon2id).
CREATE TABLE platform_recovery_codes (
  user_id uuid NOT NULL REFERENCES platform_users (id) ON DELETE CASCADE,
  code_hash bytea NOT NULL,
  used_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, code_hash)
);

REVOKE ALL ON platform_totp, platform_sign_in_challenges, platform_recovery_codes FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON platform_totp, platform_sign_in_challenges, platform_recovery_codes TO brigade_platform;
