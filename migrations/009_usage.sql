-- Who used Brigade on which day (active users per day), counted once per person per day per business.
CREATE TABLE usage_active_users (
  tenant_id uuid NOT NULL REFERENCES tenants (id),
  day date NOT NULL,
  user_id uuid NOT NULL,
  PRIMARY KEY (tenant_id, day, user_id)
);
SELECT brigade_isolate('usage_active_users');
REVOKE ALL ON usage_active_users FROM PUBLIC;
GRANT SELECT ON usage_active_users TO brigade_app;
GRANT SELECT, INSERT, DELETE ON usage_active_users TO brigade_platform;
