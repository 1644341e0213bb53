// Run by orphan-driver.mjs: records this worker's pid, then stays inside a test for 20 s.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test as base } from 'vitest';
import { withServers } from 'ephemeral-servers/vitest';
import servers from '../../servers.config.mjs';

const withPackage = process.env.ES_ORPHAN_MODE === 'package';
const test = withPackage ? withServers(base, servers) : base;

// With the package: its fixtures hold an in-process server in this worker.
const body = withPackage
  ? async ({ inproc }) => {
      if (!inproc) throw new Error('no in-process server');
      await block();
    }
  : async () => block();

async function block() {
  writeFileSync(join(process.env.ES_ORPHAN_DIR, `worker-${process.env.ES_ORPHAN_TRY}.pid`), String(process.pid));
  await sleep(20_000);
}

test('blocks inside a test', body);
