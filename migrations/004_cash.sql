-- Cash: registers, drawer sessions (float, movements, counts), reconciliations with approval, and day closes.
-- Money is integer minor units (cents) in bigint columns everywhere; the currency is the business's.
-- Counts, movements and day closes are append-only: the application role may insert and read them, never change
-- or remove one, so a missing $40 stays traceable to a drawer, a shift and a person.

-- The business's rules; absent until the owner changes something (the service knows the defaults).
CREATE TABLE cash_settings (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  denominations jsonb NOT NULL,
  default_float bigint NOT NULL CHECK (default_float >= 0),
  variance_tolerance bigint NOT NULL CHECK (variance_tolerance >= 0),
  approval_required boolean NOT NULL,
  deadline time NOT NULL,
  blind_counts boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id)
);

-- A location's exceptions to the business's rules: null means "as the business".
CREATE TABLE cash_location_settings (
  tenant_id uuid NOT NULL,
  location_id uuid NOT NULL,
  denominations jsonb,
  default_float bigint CHECK (default_float >= 0),
  variance_tolerance bigint CHECK (variance_tolerance >= 0),
  approval_required boolean,
  deadline time,
  blind_counts boolean,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, location_id),
  FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);

CREATE TABLE cash_registers (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  location_id uuid NOT NULL,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  active boolean NOT NULL DEFAULT true,
  version integer NOT NULL DEFAULT 1,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, id),
  -- Lets a drawer name its register and location together, so the two can never disagree.
  UNIQUE (tenant_id, id, location_id),
  FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);
CREATE UNIQUE INDEX cash_registers_name ON cash_registers (tenant_id, location_id, lower(name));

-- One drawer session: a register's cash from the opening float to the count that reconciles it.
-- business_date is the location's local date when the drawer opened: a shift past midnight belongs to its evening.
CREATE TABLE cash_drawers (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  register_id uuid NOT NULL,
  location_id uuid NOT NULL,
  business_date date NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'submitted', 'recount', 'reconciled')),
  opening_float bigint NOT NULL CHECK (opening_float >= 0),
  opened_by uuid NOT NULL,
  opened_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  submitted_at timestamptz,
  reconciled_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, register_id, location_id) REFERENCES cash_registers (tenant_id, id, location_id),
  FOREIGN KEY (tenant_id, opened_by) REFERENCES users (tenant_id, id)
);
-- One drawer in a register at a time: a second open is refused by the database, whatever the race.
CREATE UNIQUE INDEX cash_drawers_one_active ON cash_drawers (tenant_id, register_id) WHERE status IN ('open', 'recount');
CREATE INDEX cash_drawers_day ON cash_drawers (tenant_id, location_id, business_date);
CREATE INDEX cash_drawers_person ON cash_drawers (tenant_id, opened_by, opened_at DESC);

CREATE TABLE cash_movements (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  drawer_id uuid NOT NULL,
  kind text NOT NULL CHECK (kind IN ('cash_sale', 'cash_in', 'pay_out', 'tip_out', 'drop')),
  amount bigint NOT NULL CHECK (amount > 0),
  reason text CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 500),
  source text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'pos')),
  external_ref text CHECK (external_ref IS NULL OR length(external_ref) BETWEEN 1 AND 200),
  recorded_by uuid NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id),
  CHECK (kind <> 'pay_out' OR reason IS NOT NULL),
  FOREIGN KEY (tenant_id, drawer_id) REFERENCES cash_drawers (tenant_id, id),
  FOREIGN KEY (tenant_id, recorded_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX cash_movements_drawer ON cash_movements (tenant_id, drawer_id, recorded_at);
-- A POS import sent twice records its sales once.
CREATE UNIQUE INDEX cash_movements_external ON cash_movements (tenant_id, drawer_id, external_ref) WHERE external_ref IS NOT NULL;

-- A count by denomination: the opening float, or a closing count (one per attempt; a rejected count is recounted).
CREATE TABLE cash_counts (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  drawer_id uuid NOT NULL,
  purpose text NOT NULL CHECK (purpose IN ('opening', 'closing')),
  total bigint NOT NULL CHECK (total >= 0),
  counted_by uuid NOT NULL,
  counted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, drawer_id) REFERENCES cash_drawers (tenant_id, id),
  FOREIGN KEY (tenant_id, counted_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX cash_counts_drawer ON cash_counts (tenant_id, drawer_id);

CREATE TABLE cash_count_lines (
  tenant_id uuid NOT NULL,
  count_id uuid NOT NULL,
  denomination bigint NOT NULL CHECK (denomination > 0),
  quantity integer NOT NULL CHECK (quantity >= 0),
  PRIMARY KEY (tenant_id, count_id, denomination),
  FOREIGN KEY (tenant_id, count_id) REFERENCES cash_counts (tenant_id, id)
);

-- What a closing count found against what the drawer should hold. The components are kept, so each
-- reconciliation explains itself; the CHECKs hold the arithmetic in the database too.
CREATE TABLE cash_reconciliations (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  drawer_id uuid NOT NULL,
  count_id uuid NOT NULL,
  attempt integer NOT NULL CHECK (attempt >= 1),
  location_id uuid NOT NULL,
  register_id uuid NOT NULL,
  business_date date NOT NULL,
  opening_float bigint NOT NULL,
  cash_sales bigint NOT NULL,
  cash_in bigint NOT NULL,
  pay_outs bigint NOT NULL,
  tip_outs bigint NOT NULL,
  drops bigint NOT NULL,
  expected bigint NOT NULL,
  counted bigint NOT NULL,
  variance bigint NOT NULL,
  tolerance bigint NOT NULL CHECK (tolerance >= 0),
  outcome text NOT NULL CHECK (outcome IN ('balanced', 'flagged')),
  approval_required boolean NOT NULL,
  status text NOT NULL CHECK (status IN ('accepted', 'pending', 'approved', 'rejected')),
  submitted_by uuid NOT NULL,
  submitted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  decided_by uuid,
  decided_at timestamptz,
  decision_comment text CHECK (decision_comment IS NULL OR length(decision_comment) BETWEEN 1 AND 1000),
  version integer NOT NULL DEFAULT 1,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, drawer_id, attempt),
  CHECK (expected = opening_float + cash_sales + cash_in - pay_outs - tip_outs - drops),
  CHECK (variance = counted - expected),
  CHECK ((outcome = 'balanced') = (abs(variance) <= tolerance)),
  -- Nobody approves or rejects their own count, whatever the code above does.
  CHECK (decided_by IS NULL OR decided_by <> submitted_by),
  CHECK ((status IN ('approved', 'rejected')) = (decided_by IS NOT NULL)),
  FOREIGN KEY (tenant_id, drawer_id) REFERENCES cash_drawers (tenant_id, id),
  FOREIGN KEY (tenant_id, count_id) REFERENCES cash_counts (tenant_id, id),
  FOREIGN KEY (tenant_id, register_id, location_id) REFERENCES cash_registers (tenant_id, id, location_id),
  FOREIGN KEY (tenant_id, submitted_by) REFERENCES users (tenant_id, id),
  FOREIGN KEY (tenant_id, decided_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX cash_reconciliations_day ON cash_reconciliations (tenant_id, location_id, business_date);
CREATE INDEX cash_reconciliations_pending ON cash_reconciliations (tenant_id, location_id, submitted_at) WHERE status = 'pending';
CREATE INDEX cash_reconciliations_person ON cash_reconciliations (tenant_id, submitted_by, business_date);

-- A location's business day: open until a manager closes it; remembers the reminder sent at the deadline.
CREATE TABLE cash_days (
  tenant_id uuid NOT NULL,
  location_id uuid NOT NULL,
  business_date date NOT NULL,
  closed boolean NOT NULL DEFAULT false,
  reminded_at timestamptz,
  PRIMARY KEY (tenant_id, location_id, business_date),
  FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id)
);

-- The day-close ledger: numbered per location, hash-chained per location, never edited. Reopening a day adds a
-- reversal that negates the close it names; closing again adds a new close with the next number.
CREATE TABLE cash_day_closes (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  location_id uuid NOT NULL,
  business_date date NOT NULL,
  number integer NOT NULL CHECK (number >= 1),
  kind text NOT NULL CHECK (kind IN ('close', 'reversal')),
  reverses_id uuid,
  reason text CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 1000),
  totals jsonb NOT NULL,
  registers jsonb NOT NULL,
  closed_by uuid NOT NULL,
  closed_at timestamptz NOT NULL,
  previous_hash text NOT NULL,
  hash text NOT NULL,
  PRIMARY KEY (tenant_id, id),
  UNIQUE (tenant_id, location_id, number),
  UNIQUE (tenant_id, reverses_id),
  CHECK ((kind = 'reversal') = (reverses_id IS NOT NULL)),
  CHECK (kind = 'close' OR reason IS NOT NULL),
  FOREIGN KEY (tenant_id, location_id) REFERENCES locations (tenant_id, id),
  FOREIGN KEY (tenant_id, reverses_id) REFERENCES cash_day_closes (tenant_id, id),
  FOREIGN KEY (tenant_id, closed_by) REFERENCES users (tenant_id, id)
);
CREATE INDEX cash_day_closes_day ON cash_day_closes (tenant_id, location_id, business_date);

-- In-app notifications to one person (core machinery: the cash deadline reminder is the first to use it).
CREATE TABLE notifications (
  tenant_id uuid NOT NULL,
  id uuid NOT NULL,
  user_id uuid NOT NULL,
  kind text NOT NULL,
  title text NOT NULL,
  body text NOT NULL,
  link text,
  created_at timestamptz NOT NULL DEFAULT now(),
  read_at timestamptz,
  PRIMARY KEY (tenant_id, id),
  FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX notifications_person ON notifications (tenant_id, user_id, created_at DESC);

SELECT brigade_isolate(t) FROM unnest(ARRAY[
  'cash_settings', 'cash_location_settings', 'cash_registers', 'cash_drawers', 'cash_movements', 'cash_counts',
  'cash_count_lines', 'cash_reconciliations', 'cash_days', 'cash_day_closes', 'notifications'
]::regclass[]) AS t;

REVOKE ALL ON cash_settings, cash_location_settings, cash_registers, cash_drawers, cash_movements, cash_counts,
  cash_count_lines, cash_reconciliations, cash_days, cash_day_closes, notifications FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE, DELETE ON cash_settings, cash_location_settings, cash_registers, notifications TO brigade_app;
GRANT SELECT, INSERT, UPDATE ON cash_drawers, cash_reconciliations, cash_days TO brigade_app;
GRANT SELECT, INSERT ON cash_movements, cash_counts, cash_count_lines, cash_day_closes TO brigade_app;
-- The platform path may remove a purged tenant's rows; it never rewrites a ledger row either.
GRANT SELECT, INSERT, UPDATE, DELETE ON cash_settings, cash_location_settings, cash_registers, cash_drawers,
  cash_reconciliations, cash_days, notifications TO brigade_platform;
GRANT SELECT, INSERT, DELETE ON cash_movements, cash_counts, cash_count_lines, cash_day_closes TO brigade_platform;
