// 8 slots × 3 servers: per slot a chain db ← api ← web (each waits for the one it depends on).
import { SERVERS } from './servers.mjs';

export const TAG = 'es-bench-scale';
const server = (dependsOn) => ({
  scope: 'worker',
  command: SERVERS.node.argv('{port}', TAG),
  readiness: 'tcp',
  ...(dependsOn ? { dependsOn: [dependsOn] } : {}),
});
export const SCALE_CONFIG = { db: server(), api: server('db'), web: server('api') };
