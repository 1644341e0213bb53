/**
 * Recipe: a Python ASGI app under uvicorn (docs/recipes.md#a-python-asgi-app-under-uvicorn), the real
 * server (`pip install uvicorn`, which .ci/run does), queried with fetch. No skip: a missing uvicorn fails.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { defineServers } from '../../src/index.js';
import { startRecipe, tearDownAndExpectNothingLeft, tearDownLeftoverRuns } from './helpers.js';

afterEach(tearDownLeftoverRuns);

/** The directory of test/fixtures/asgi_app.py, a dependency-free ASGI app with a /health route. */
const appDir = fileURLToPath(new URL('../fixtures/', import.meta.url));

const servers = defineServers({
  api: {
    command: [
      'uvicorn',
      'asgi_app:app',
      '--host',
      '{host}',
      '--port',
      '{port}',
      '--app-dir',
      appDir,
      '--no-access-log',
    ],
    cwd: '{tmpDir}', // what the app writes in its working directory is gone after the run
    env: { PYTHONDONTWRITEBYTECODE: '1' }, // no __pycache__ left in test/fixtures
    readiness: { type: 'http', path: '/health' },
  },
});

it('runs an ASGI app under uvicorn, ready by its /health route, and leaves nothing', async () => {
  const run = await startRecipe('uvicorn', servers);
  const { api } = run.owner.endpoints;
  expect(api?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

  const health = await fetch(`${api!.url}/health`);
  expect(health.status).toBe(200);
  expect(await health.text()).toBe('ok');
  const info = (await (await fetch(`${api!.url}/`)).json()) as { server: string; pid: number; cwd: string };
  // The process that answers is the one the run recorded (uvicorn without --workers or --reload serves
  // in its main process), running in its scratch directory.
  expect(info).toEqual({ server: 'uvicorn', pid: run.servers.api!.entry.pid, cwd: run.servers.api!.tmpDir });

  await tearDownAndExpectNothingLeft(run);
});
