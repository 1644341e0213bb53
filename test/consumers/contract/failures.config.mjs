// The servers of the failure scenario (contract/failures.md): `victim` is SIGKILLed during a test,
// `steady` stays alive. A plain object, as servers.config.mjs (see there why).
import { fileURLToPath } from 'node:url';

const serverScript = fileURLToPath(new URL('./failing-server.mjs', import.meta.url));

export default {
  victim: {
    scope: 'run',
    command: [process.execPath, serverScript, 'victim', '{port}'],
    readiness: { type: 'http', path: '/info' },
  },
  steady: {
    scope: 'run',
    command: [process.execPath, serverScript, 'steady', '{port}'],
    readiness: { type: 'http', path: '/info' },
  },
};
