import { probePort } from '../../src/ports/index.js';

/**
 * `count` consecutive ports that are free on 127.0.0.1 now, from a random start in 20000-30000: below
 * the kernel's ephemeral range (32768-60999 here), so `listen(0)` elsewhere in the suite never takes them.
 */
export async function findFreePortRun(count: number): Promise<[number, number]> {
  let first = 20_000 + Math.floor(Math.random() * (10_000 - count));
  for (let port = first; port < 30_000; port++) {
    if ((await probePort('127.0.0.1', port)) !== undefined) first = port + 1;
    else if (port - first + 1 === count) return [first, port];
  }
  throw new Error(`no ${count} consecutive free ports from ${first} to 30000`);
}
