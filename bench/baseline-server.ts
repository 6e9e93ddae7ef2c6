import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

/** The same page of locations Brigade's listLocations reads for a caller who sees every location (limit 50, one extra to know if there is more). */
export const BASELINE_SQL =
  'SELECT id, name, address, time_zone, version, created_at, updated_at FROM locations WHERE tenant_id = $1 ORDER BY id LIMIT 51';

export interface Baseline {
  port: number;
  pool: pg.Pool;
  close(): Promise<void>;
}

/**
 * The floor Brigade is measured against: bare node:http and a pg Pool of the same size, one query per request
 * (extended protocol, unnamed statement, as pg sends any parameterised query), no framework, no credential,
 * no tenant binding. The tenant is fixed at start-up; the login is a superuser, so row-level security plays no part.
 */
export async function startBaseline(databaseUrl: string, tenantId: string, poolSize: number): Promise<Baseline> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize, idleTimeoutMillis: 30_000 });
  pool.on('error', () => undefined);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || !req.url?.startsWith('/api/v1/locations')) {
      res.writeHead(404).end();
      return;
    }
    pool.query(BASELINE_SQL, [tenantId]).then(
      ({ rows }) => {
        const items = rows.slice(0, 50);
        const body = JSON.stringify({ items, next_cursor: rows.length > 50 ? items[items.length - 1]?.id ?? null : null });
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
      },
      () => {
        res.writeHead(500).end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    pool,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end();
    },
  };
}
