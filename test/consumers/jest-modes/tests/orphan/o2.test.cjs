// Run by orphan-driver.mjs: records this worker's pid, then stays inside a test for 20 s.
const { writeFileSync } = require('node:fs');
const { basename, join } = require('node:path');

test('blocks inside a test', async () => {
  // With the package, the test environment holds an in-process server (`inproc`) in this worker.
  if (process.env.ES_ORPHAN_MODE === 'package' && globalThis.servers.inproc === undefined)
    throw new Error('no in-process server');
  writeFileSync(
    join(process.env.ES_ORPHAN_DIR, `${process.env.ES_ORPHAN_TRY}-${basename(__filename)}.pid`),
    String(process.pid),
  );
  await new Promise((resolve) => setTimeout(resolve, 20_000));
});
