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
});
