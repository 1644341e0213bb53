// ephemeral-servers as users get it: the built package (npm run build first).
import { readFileSync } from 'node:fs';

export * from '../../dist/index.js';
export const OUR_VERSION = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version;
