// The owner asks for the end of the run and dies before the answer: the supervisor finishes that
// shutdown (reap, then the directory's removal) instead of exiting half-way through it, which left
// `<runDir>.removing-<pid>` behind (seen with Playwright's webServer launcher).
import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { waitUntilGone } from '../helpers/processes.js';
import { fixture, Sandbox } from './helpers.js';

let sandbox: Sandbox;
beforeEach(async () => {
  sandbox = await Sandbox.create();
});
afterEach(async () => {
  await sandbox.cleanup();
});

it('an owner that dies during its shutdown leaves no server and no run directory, renamed or not', async () => {
  const owner = sandbox.spawnNode([fixture('ends-and-dies.mjs')], sandbox.env());
  const exit = await owner.exited;
  expect(exit, owner.output()).toEqual({ code: 0, signal: null });
  const { runDir, pid } = JSON.parse(owner.output().split('\n')[0]!) as { runDir: string; pid: number };
  sandbox.track(pid);
  // The shutdown's reap waits out the server's 1 s stop timeout, then SIGKILLs it and removes the directory.
  expect(await waitUntilGone([pid], 4000)).toEqual([]);
  const deadline = Date.now() + 3000;
  while (sandbox.runDirs().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(sandbox.runDirs(), `left in the sandbox (run ${basename(runDir)})`).toEqual([]);
  expect(existsSync(runDir)).toBe(false);
});
