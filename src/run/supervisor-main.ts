/**
 * The run supervisor's process: one per run, spawned detached by the run owner (see
 * `spawn-supervisor.ts`). Usage: `node supervisor.js '<json SupervisorInit>'`.
 *
 * - It listens on `<runDir>/s.sock` (mode 0600 in a 0700 directory) for the protocol of `protocol.ts`,
 *   applies changes to the run held in memory (`Supervisor`), and is the only writer of `state.json`.
 * - Its stdin is a pipe whose other end only the owner holds. The owner writes `urgent` when it is about
 *   to die on purpose (a second Ctrl+C: SIGKILL everything at once). When the pipe closes without a
 *   `shutdown` request first (the owner died by any means, SIGKILL included: the kernel closes its end),
 *   it reaps the run from memory, in reverse dependency order, removes the run directory and exits.
 * - It prints `ready` on stdout once the state file and the socket exist, then nothing more there; its
 *   stderr is `<runDir>/supervisor.log`.
 */
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { StateFileError } from '../errors.js';
import { readProcessStartTime } from '../process/process-identity.js';
import { writeFileAtomicSync } from '../state/atomic-write.js';
import { readState } from '../state/state-file.js';
import { STATE_VERSION, type StateFile } from '../state/schema.js';
import { createLineReader, encodeMessage, type RequestMessage, type ServerMessage } from './protocol.js';
import { removeRunDirectory } from './remove-run-dir.js';
import { runPaths, SUPERVISOR_FILE_NAME } from './run-dir.js';
import { Supervisor, type SupervisorConnection } from './supervisor.js';
import type { SupervisorInit } from './spawn-supervisor.js';

const init = JSON.parse(process.argv[2] ?? '{}') as SupervisorInit;
const paths = runPaths(init.runDir);
const log = (line: string): void => {
  process.stderr.write(`${new Date().toISOString()} supervisor ${process.pid}: ${line}\n`);
};

async function initialState(): Promise<StateFile> {
  const fresh: StateFile = {
    version: STATE_VERSION,
    runId: init.runId,
    owner: init.owner,
    createdAt: new Date().toISOString(),
    runDir: init.runDir,
    servers: {},
  };
  if (!init.adopt) return fresh;
  try {
    const last = await readState(paths.stateFile);
    return { ...last, version: STATE_VERSION, owner: init.owner };
  } catch (error) {
    // Missing or corrupt: the servers are still found by the run's marker when the run is reaped.
    if (!(error instanceof StateFileError)) throw error;
    log(`could not read the last state file (${error.message}): starting empty; marked processes are still reaped`);
    return fresh;
  }
}

async function main(): Promise<void> {
  const supervisor = new Supervisor({ paths, state: await initialState(), log });
  if (init.adopt) supervisor.adopt();
  supervisor.writeNow();

  let shuttingDown = false;
  /** The `shutdown` request being handled, if one came: the owner's death then waits for it. */
  let shutdownInFlight: Promise<unknown> | undefined;
  const server = createServer((socket: Socket) => {
    const conn: SupervisorConnection = {
      pid: undefined,
      thread: undefined,
      owned: new Set(),
      send: (message: ServerMessage, onFlushed?: () => void) => {
        if (!socket.destroyed) socket.write(encodeMessage(message), onFlushed);
        else onFlushed?.();
      },
    };
    const onMessage = (message: unknown): void => {
      const request = message as RequestMessage;
      const handled = supervisor.handle(conn, request);
      if (request.op === 'shutdown') shutdownInFlight ??= handled;
      handled.then(
        (result) => {
          // After `shutdown` the run directory is gone already (see the handler): nothing is left to do
          // but exit, once the answer has left (a queued write dies with the process otherwise).
          conn.send(
            { id: request.id, ok: true, result: result ?? null },
            request.op === 'shutdown' ? exitAfterShutdown : undefined,
          );
        },
        (error: unknown) => {
          const { code, message: text, detail } = error as { code?: unknown; message?: unknown; detail?: unknown };
          conn.send({
            id: request.id,
            ok: false,
            error: {
              code: typeof code === 'string' ? code : 'EUNKNOWN',
              message: typeof text === 'string' ? text : String(error),
              ...(typeof detail === 'string' ? { detail } : {}),
            },
          });
        },
      );
    };
    const read = createLineReader(onMessage);
    socket.on('data', (chunk) => {
      try {
        read(chunk);
      } catch (error) {
        log(`dropping a connection that sent a line that is not JSON: ${String(error)}`);
        socket.destroy();
      }
    });
    socket.on('error', (error) => log(`connection error: ${error.message}`));
    socket.on('close', () => {
      void supervisor
        .disconnected(conn)
        .catch((error: unknown) => log(`could not stop what a closed connection left: ${String(error)}`));
    });
  });

  function listen(): Promise<void> {
    rmSync(paths.socketPath, { force: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(paths.socketPath, () => {
        server.off('error', reject);
        chmodSync(paths.socketPath, 0o600);
        resolve();
      });
    });
  }

  await listen();
  supervisor.guardStateFile(() => {
    // The socket went with the directory: listen again.
    server.close();
    listen().catch((error: unknown) => log(`could not listen again: ${String(error)}`));
  });
  writeFileAtomicSync(
    join(init.runDir, SUPERVISOR_FILE_NAME),
    JSON.stringify({ pid: process.pid, startTime: readProcessStartTime(process.pid), runId: init.runId }),
  );
  log(`${init.adopt ? 'adopted' : 'supervising'} run ${init.runId} in ${init.runDir} for owner ${init.owner.pid}`);

  let urgent = false;
  function exitAfterShutdown(): void {
    shuttingDown = true;
    server.close();
    // After the answer is flushed to the owner's socket.
    setImmediate(() => process.exit(0));
  }

  async function ownerGone(): Promise<void> {
    if (shuttingDown) return;
    shuttingDown = true;
    if (shutdownInFlight !== undefined) {
      // The owner asked for the end of the run and died before the answer (a launcher that exits on a
      // second signal): the shutdown reaps what is left and removes the directory. Exiting now would cut
      // its removal short and leave `<runDir>.removing-<pid>` behind.
      log('owner gone during shutdown: finishing the shutdown');
      server.close();
      const failed = await shutdownInFlight.then(
        () => false,
        (error: unknown) => (log(`shutdown failed: ${String(error)}`), true),
      );
      process.exit(failed ? 1 : 0);
    }
    log(`owner gone${urgent ? ' (urgent)' : ''}: reaping the run from memory`);
    server.close();
    let failed = false;
    try {
      await supervisor.reap({ urgent });
    } catch (error) {
      failed = true;
      log(`reap failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    }
    // Whatever the reap did, the run is over: its directory goes (a sweep could not do better later).
    try {
      await removeRunDirectory(init.runDir);
      log(`removed ${init.runDir}`);
    } catch (error) {
      failed = true;
      log(`could not remove ${init.runDir}: ${String(error)}`);
    }
    process.exit(failed ? 1 : 0);
  }

  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (chunk: string) => {
    if (chunk.includes('urgent')) urgent = true;
  });
  process.stdin.on('end', () => void ownerGone());
  process.stdin.on('close', () => void ownerGone());
  process.stdin.on('error', (error: NodeJS.ErrnoException) => {
    log(`stdin error ${error.code ?? error.message}: treated as the owner's end`);
    void ownerGone();
  });
  process.stdout.write('ready\n');
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
