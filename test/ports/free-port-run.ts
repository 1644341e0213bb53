import { probePort } from '../../src/ports/index.js';

/**
 * `count` consecutive ports that are free on 127.0.0.1 now, from a random start in 5000-9999: below our
 * allocator's window (10000 up to the ephemeral range) and below the kernel's ephemeral range, so neither
 * another test file's allocations nor a `listen(0)` elsewhere in the suite takes them.
 */
export async function findFreePortRun(count: number): Promise<[number, number]> {
  let first = 5_000 + Math.floor(Math.random() * (5_000 - count));
  for (let port = first; port < 10_000; port++) {
    if ((await probePort('127.0.0.1', port)) !== undefined) first = port + 1;
    else if (port - first + 1 === count) return [first, port];
  }
  throw new Error(`no ${count} consecutive free ports from ${first} to 10000`);
}
