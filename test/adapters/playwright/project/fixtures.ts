import { appendFileSync } from 'node:fs';
import { test as base, expect } from '@playwright/test';
import { workerServersFixture, type WorkerServers } from 'ephemeral-servers/playwright';

export const test = base.extend<{ record: (fields: object) => void }, { servers: WorkerServers }>({
  servers: workerServersFixture(),
  record: async ({}, use, testInfo) => {
    await use((fields) =>
      appendFileSync(
        process.env.ES_TEST_RECORD_FILE!,
        `${JSON.stringify({ test: testInfo.title, pid: process.pid, ...fields })}\n`,
      ),
    );
  },
});
export { expect };

/** The tests of a.pw.ts and b.pw.ts: two files, so that both workers get files and reuse their servers. */
export function defineWorkerTests(prefix: string): void {
  for (const n of [1, 2, 3]) {
    test(`${prefix}${n}: the worker's own servers, and the runner's web server at baseURL`, async ({
      servers,
      request,
      baseURL,
      record,
    }, testInfo) => {
      // baseURL comes from this worker's re-import of the config: it must be the runner's port.
      const handoff = JSON.parse(process.env.EPHEMERAL_SERVERS_PLAYWRIGHT_PORTS!) as {
        pid: number;
        servers: Record<string, { port: number }>;
      };
      expect(handoff.pid).not.toBe(process.pid);
      expect(baseURL).toBe(`http://127.0.0.1:${handoff.servers.web!.port}`);
      const web = await request.get('/');
      expect(await web.text()).toBe('hello from web');

      expect(servers.slot).toBe(testInfo.parallelIndex + 1);
      const api = servers.getEndpoint('api');
      expect(api.slot).toBe(servers.slot);
      expect(await (await request.get(api.url)).text()).toBe('hello from api');
      const mem = servers.getEndpoint('mem');
      expect(await (await request.get(mem.url)).text()).toBe(`mem in ${process.pid}`);
      record({ slot: servers.slot, api: api.port, mem: mem.port, baseURL });
      if (process.env.ES_TEST_BLOCK_FILE) {
        // The SIGKILL scenario: say where we are, then wait to be killed.
        appendFileSync(process.env.ES_TEST_BLOCK_FILE, 'blocked\n');
        await new Promise(() => {});
      }
    });
  }
}
