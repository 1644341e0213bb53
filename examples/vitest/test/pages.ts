import { request } from 'ephemeral-servers/supertest';
import { getEndpoint } from 'ephemeral-servers/vitest';
import { inject } from 'vitest';
import { expect, expectStateMatches, report, test } from './fixtures.js';

/**
 * The example's tests, defined once and run by four files (pages-1..4.test.ts): several files are
 * what show a worker slot reusing its servers across files, and two slots never sharing them.
 */
export function definePagesTests(file: number): void {
  test('http-server (worker-scoped) serves this slot its own copy of ./public', async ({ static: site, servers }) => {
    expect(site.slot).toBe(servers.slot);
    const res = await request(site).get('/index.html').expect(200);
    expect(res.text).toContain('served by http-server');
  });

  test('http-server proxies to the run-scoped Python server through {python.url}', async ({ static: site }) => {
    const res = await request(site).get('/shared.txt').expect(200);
    expect(res.text).toBe('served by python\n');
  });

  test('python (run-scoped) is the same endpoint in every worker', async ({ python }) => {
    expect(python.slot).toBe(0);
    expect(inject('ephemeral-servers').endpoints.python).toEqual(python);
    expect(getEndpoint('python')).toEqual(python);
    await request('python').get('/shared.txt').expect(200, 'served by python\n');
  });

  test('express (in-process, worker-scoped) answers from this worker', async ({ api, servers }) => {
    const res = await request(api).get('/whoami').expect(200);
    expect(res.body).toEqual({ pid: process.pid, slot: servers.slot });
    await request(api).post('/echo').send({ file }).expect(201, { file });
  });

  test('the state file lists exactly what runs', async ({ static: site, api, python, servers }) => {
    const pids = await expectStateMatches(servers.slot, [site, api, python]);
    report(`pages-${file}`, {
      slot: servers.slot,
      ports: { static: site.port, api: api.port, python: python.port },
      stateFile: inject('ephemeral-servers').stateFile,
      pids,
    });
  });
}
