/**
 * Recipe: PostgreSQL (docs/recipes.md#postgresql), the real server (Debian's `postgresql` package,
 * which .ci/run installs), queried with the real client (npm `pg`). No skip: a missing PostgreSQL fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterEach, expect, it } from 'vitest';
import { defineServers, type ProbeContext } from '../../src/index.js';
import {
  descendantsOf,
  processesInGroup,
  startRecipe,
  tearDownAndExpectNothingLeft,
  tearDownLeftoverRuns,
} from './helpers.js';

afterEach(tearDownLeftoverRuns);

/**
 * The directory of `initdb` and `postgres`. Debian and Ubuntu keep them in /usr/lib/postgresql/<major>/bin,
 * off PATH: the newest major there; else `pg_config --bindir`; else `undefined` (they are on PATH, as
 * with Homebrew).
 */
function findPostgresBinDir(): string | undefined {
  const debianRoot = '/usr/lib/postgresql';
  if (existsSync(debianRoot)) {
    const majors = readdirSync(debianRoot)
      .filter((name) => existsSync(join(debianRoot, name, 'bin', 'initdb')))
      .sort((a, b) => Number(b) - Number(a));
    if (majors[0] !== undefined) return join(debianRoot, majors[0], 'bin');
  }
  try {
    const bindir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
    if (existsSync(join(bindir, 'initdb'))) return bindir;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return undefined;
}

const pgBin = findPostgresBinDir();
const bin = (name: string): string => (pgBin === undefined ? name : join(pgBin, name));

/**
 * Ready once PostgreSQL answers a query: it listens a moment before it accepts sessions ("the database
 * system is starting up", SQLSTATE 57P03), so a bare TCP probe can hand out a server that still refuses.
 */
async function acceptsQueries({ url }: ProbeContext): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined); // a failed connect also emits 'error'; connect() rejects with it
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === '57P03') return false;
    throw error;
  } finally {
    await client.end();
  }
}

const servers = defineServers({
  postgres: {
    // PostgreSQL refuses to run as root; Debian's package creates the `postgres` user.
    user: process.getuid?.() === 0 ? 'postgres' : undefined,
    cwd: '{tmpDir}',
    setup: [
      [bin('initdb'), '-D', '{tmpDir}/data', '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'],
    ],
    command: [
      bin('postgres'),
      '-D',
      '{tmpDir}/data',
      '-p',
      '{port}',
      '-k',
      '{tmpDir}', // the Unix socket too goes in the scratch directory, not /var/run/postgresql
      '-c',
      'listen_addresses={host}',
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
    ],
    url: 'postgresql://postgres@{host}:{port}/postgres',
    readiness: { type: 'custom', check: acceptsQueries, description: 'pg SELECT 1' },
    stopSignal: 'SIGINT', // "fast" shutdown: SIGTERM ("smart") waits for every client to disconnect
  },
});

it('runs PostgreSQL from a fresh initdb in its scratch directory, queried with pg, and leaves nothing', async () => {
  const run = await startRecipe('postgresql', servers);
  const { postgres } = run.owner.endpoints;
  expect(postgres?.url).toMatch(/^postgresql:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
  const { tmpDir } = run.servers.postgres!;
  expect(tmpDir).toBeDefined();

  const client = new pg.Client({ connectionString: postgres!.url });
  await client.connect();
  try {
    await client.query('CREATE TABLE items (id serial PRIMARY KEY, name text NOT NULL)');
    await client.query('INSERT INTO items (name) VALUES ($1), ($2)', ['a', 'b']);
    const { rows } = await client.query<{ name: string }>('SELECT name FROM items ORDER BY id');
    expect(rows.map((row) => row.name)).toEqual(['a', 'b']);
    const dataDirectory = await client.query<{ data_directory: string }>('SHOW data_directory');
    expect(dataDirectory.rows[0]?.data_directory).toBe(join(tmpDir!, 'data'));
    const backend = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    // Each PostgreSQL child (a session's backend, the checkpointer, …) calls setsid() and overwrites its
    // argv and environment with its ps title: it is in neither the server's process group nor the
    // run's marker search. The postmaster stops them itself (stopSignal SIGINT); the nothing-left check
    // below follows the server's descendants, so it covers them.
    const backendPid = backend.rows[0]!.pid;
    const { entry } = run.servers.postgres!;
    expect(processesInGroup(entry.pgid ?? entry.pid)).not.toContain(backendPid);
    expect(descendantsOf(entry.pid)).toContain(backendPid);
  } finally {
    await client.end();
  }

  await tearDownAndExpectNothingLeft(run);
});
