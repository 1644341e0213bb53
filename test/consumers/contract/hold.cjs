// The failure-mode contract's test body, written once for every runner: reach `c` and the
// worker-scoped `w` (the endpoints the adapter gives; under the CLI, C_URL alone), say so with an `inside-<pid>` file in the report directory (the
// harness signals the runner then), and hold until the harness writes `release` (at most 20 s), so a
// worker the runner left behind ends soon after the harness is done looking.
const { existsSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

async function holdInsideTest(endpoints) {
  for (const [name, endpoint] of Object.entries(endpoints)) {
    const info = await (await fetch(`${endpoint.url}/info`)).json();
    if (info.name !== name) throw new Error(`expected server ${name} at ${endpoint.url}, got ${JSON.stringify(info)}`);
  }
  const reportDir = process.env.ES_CONTRACT_REPORT_DIR;
  writeFileSync(join(reportDir, `inside-${process.pid}`), `${process.pid}\n`);
  for (const deadline = Date.now() + 20_000; Date.now() < deadline && !existsSync(join(reportDir, 'release'));) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

module.exports = { holdInsideTest };
