import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApp, type TestApp } from './harness.ts';

let t: TestApp;
beforeAll(async () => {
  t = await testApp();
});
afterAll(() => t.close());

describe('the route table', () => {
  it('every route with who may call it is written down, so any change of access shows up as a diff', async () => {
    const lines = t.app.brigade.routes
      .map((r) => `${r.method.padEnd(6)} ${r.url} ${r.access} ${'permission' in r ? r.permission : '-'}`)
      .sort((a, b) => a.slice(7).localeCompare(b.slice(7)) || a.localeCompare(b));
    expect(new Set(lines).size, 'a method and path are registered twice').toBe(lines.length);
    await expect(`${lines.join('\n')}\n`).toMatchFileSnapshot('./__snapshots__/routes.txt');
  });

  it('every route that changes something without an audit record of its own says why, written down as a diff too', async () => {
    // The route machinery refuses a write that records nothing (500, rolled back) unless the route names its reason.
    const lines = t.app.brigade.routes
      .filter((r) => r.noAudit !== undefined)
      .map((r) => `${r.method.padEnd(6)} ${r.url}: ${r.noAudit}`)
      .sort((a, b) => a.slice(7).localeCompare(b.slice(7)) || a.localeCompare(b));
    expect(lines.every((l) => l.split(': ')[1]!.length > 10), 'a reason is a sentence').toBe(true);
    await expect(`${lines.join('\n')}\n`).toMatchFileSnapshot('./__snapshots__/unaudited-writes.txt');
  });
});
