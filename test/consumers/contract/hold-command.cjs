// The failure-mode contract's command under `ephemeral-servers run -- node hold-command.cjs`.
const { holdInsideTest } = require('./hold.cjs');

holdInsideTest({ c: { url: process.env.C_URL } });
