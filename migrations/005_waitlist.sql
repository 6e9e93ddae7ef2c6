-- Waitlist: queues per location, guest entries with dense positions, staff–guest chat, the log of every message
-- sent to a guest; and two pieces of core machinery it is the first to need: realtime events (the replayable
-- stream behind the WebSocket) and daily usage counters.

CREATE TABLE waitlist_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  -- Guest entries older than this are purged by the daily retention job (seed 003: six months).
  retention_days integer NOT NULL DEFAULT 183 CHECK (retention_days BETWEEN 1 AND 3650),
  notify_email boolean NOT NULL DEFAULT true,
  notify_sms boolean NOT NULL DEFAULT true,
  notify_whatsapp boolean NOT NULL DEFAULT false,
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);

CREATE TABLE waitlist_queues (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  location_id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  description text NOT NULL DEFAULT '' CHECK (length(description) <= 500),
  accepting boolean NOT NULL DEFAULT true,
  -- Guests waiting at once; null is no limit.
  max_capacity integer CHECK (max_capacity > 0),
  -- Guests joining per local day; null is no limit.
  daily_cap integer CHECK (daily_cap > 0),
  -- Seven lists (Monday first) of {open, close} in the location's local time; null means always open.
  hours jsonb,
  party_min integer NOT NULL DEFAULT 1 CHECK (party_min >= 1),
  party_max integer NOT NULL DEFAULT 12 CHECK (party_max <= 100),
  service_types text[] NOT NULL DEFAULT '{}',
  -- Minutes after a call before an absent guest becomes a no-show; null leaves it to the host.
  no_show_grace_minutes integer CHECK (no_show_grace_minutes BETWEEN 1 AND 240),
  guests_may_cancel boolean NOT NULL DEFAULT true,
  -- The estimate's fallback when the queue's history is thin, and how many parties it serves at once.
  default_service_minutes integer NOT NULL DEFAULT 45 CHECK (default_service_minutes BETWEEN 1 AND 600),
  tables integer NOT NULL DEFAULT 4 CHECK (tables BETWEEN 1 AND 500),
  -- "You're next / getting close" goes out when a guest reaches this position.
  notify_at_position integer NOT NULL DEFAULT 2 CHECK (notify_at_position BETWEEN 1 AND 50),
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  -- Deleted queues stay for analytics; they take no guests and are hidden from lists.
  deleted_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, id, location_id),
  CHECK (party_min <= party_max),
  FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);
CREATE UNIQUE INDEX waitlist_queues_name ON waitlist_queues (tenant_id, location_id, lower(name)) WHERE deleted_at IS NULL;

CREATE TABLE waitlist_entries (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  queue_id uuid NOT NULL,
  location_id uuid NOT NULL,
  -- SHA-256 of the guest's entry token (256 random bits); the token itself is never stored.
  token_hash bytea NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  phone text CHECK (phone ~ '^\+[1-9][0-9]{6,14}$'),
  email text CHECK (length(email) <= 254),
  party_size integer NOT NULL CHECK (party_size BETWEEN 1 AND 100),
  service_type text,
  notes text CHECK (length(notes) <= 500),
  source text NOT NULL CHECK (source IN ('guest', 'staff', 'api')),
  status text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'called', 'seated', 'completed', 'cancelled', 'no_show')),
  -- Place in the line while waiting, 1 first; dense, kept so by the service under the queue's row lock.
  position integer CHECK (position >= 1),
  position_at_join integer NOT NULL,
  estimate_at_join integer,
  business_date date NOT NULL,
  joined_at timestamptz NOT NULL DEFAULT now(),
  called_at timestamptz,
  seated_at timestamptz,
  completed_at timestamptz,
  cancelled_at timestamptz,
  no_show_at timestamptz,
  cancelled_by text CHECK (cancelled_by IN ('guest', 'staff')),
  -- Counts calls, so a no-show job queued for an earlier call does nothing after a requeue and a new call.
  calls integer NOT NULL DEFAULT 0,
  close_notified boolean NOT NULL DEFAULT false,
  version integer NOT NULL DEFAULT 1,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, queue_id, location_id) REFERENCES waitlist_queues (tenant_id, id, location_id),
  CHECK ((status = 'waiting') = (position IS NOT NULL)),
  -- Two guests never share a place: checked at commit, so a move can shift the others in one statement.
  CONSTRAINT waitlist_entries_one_per_position EXCLUDE USING btree (tenant_id WITH =, queue_id WITH =, position WITH =)
    WHERE (status = 'waiting') DEFERRABLE INITIALLY DEFERRED
);
CREATE UNIQUE INDEX waitlist_entries_token ON waitlist_entries (tenant_id, token_hash);
CREATE INDEX waitlist_entries_board ON waitlist_entries (tenant_id, queue_id, status, position);
CREATE INDEX waitlist_entries_history ON waitlist_entries (tenant_id, queue_id, joined_at);
CREATE INDEX waitlist_entries_day ON waitlist_entries (tenant_id, queue_id, business_date);
-- The same phone waits once per queue.
CREATE UNIQUE INDEX waitlist_entries_phone_waiting ON waitlist_entries (tenant_id, queue_id, phone)
  WHERE status IN ('waiting', 'called') AND phone IS NOT NULL;
CREATE INDEX waitlist_entries_phone_recent ON waitlist_entries (tenant_id, phone, joined_at) WHERE phone IS NOT NULL;

CREATE TABLE waitlist_messages (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  entry_id uuid NOT NULL,
  sender text NOT NULL CHECK (sender IN ('guest', 'staff')),
  user_id uuid,
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 1000),
  created_at timestamptz NOT NULL DEFAULT now(),
  -- When the other side read it: staff unread counts are guest messages with no read_at.
  read_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, entry_id) REFERENCES waitlist_entries (tenant_id, id) ON DELETE CASCADE,
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id)
);
CREATE INDEX waitlist_messages_entry ON waitlist_messages (tenant_id, entry_id, created_at);

-- Every message sent (or not) to a guest, whatever the channel: the delivery job writes its outcome here.
CREATE TABLE waitlist_deliveries (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  entry_id uuid NOT NULL,
  channel text NOT NULL CHECK (channel IN ('email', 'sms', 'whatsapp')),
  kind text NOT NULL CHECK (kind IN ('joined', 'close', 'called', 'no_show')),
  to_address text NOT NULL,
  body text NOT NULL,
  status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sent', 'failed', 'skipped')),
  error text,
  attempts integer NOT NULL DEFAULT 0,
  provider_id text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, entry_id) REFERENCES waitlist_entries (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX waitlist_deliveries_entry ON waitlist_deliveries (tenant_id, entry_id, created_at);

-- Core: the replayable event stream. A change writes its event here and NOTIFYs the sequence in the same
-- transaction; every instance reads the row after commit and fans it out; a reconnecting client asks for
-- what came after the last sequence it saw.
CREATE TABLE realtime_events (
  tenant_id uuid NOT NULL,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  channel text NOT NULL,
  type text NOT NULL,
  data jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX realtime_events_channel ON realtime_events (tenant_id, channel, seq);

-- Core: what a tenant used per day (API calls, messages sent…), for the usage page and plan limits.
CREATE TABLE usage_daily (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  day date NOT NULL,
  metric text NOT NULL,
  value bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, day, metric)
);

SELECT brigade_isolate(t) FROM unnest(ARRAY[
  'waitlist_settings', 'waitlist_queues', 'waitlist_entries', 'waitlist_messages', 'waitlist_deliveries',
  'realtime_events', 'usage_daily'
]::regclass[]) AS t;

REVOKE ALL ON waitlist_settings, waitlist_queues, waitlist_entries, waitlist_messages, waitlist_deliveries,
  realtime_events, usage_daily FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON waitlist_settings, waitlist_queues, waitlist_entries, waitlist_messages,
  waitlist_deliveries, usage_daily TO brigade_app;
-- Events are history: appended and read, then removed only by age (the retention job runs as the tenant).
GRANT SELECT, INSERT, DELETE ON realtime_events TO brigade_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON waitlist_settings, waitlist_queues, waitlist_entries, waitlist_messages,
  waitlist_deliveries, realtime_events, usage_daily TO brigade_platform;
