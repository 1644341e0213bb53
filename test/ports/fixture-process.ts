/**
 * Runs the real fixture scripts of test/fixtures/ as child processes (through tsx) and kills whatever
 * is still running in afterEach: a cleanup registry, drained by `killFixtures()`.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

export function fixturePath(name: string): string {
  return fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
}

export interface FixtureProcess {
  child: ChildProcess;
  pid: number;
  /** First stdout line, parsed as JSON; rejects when the process exits first. */
  firstLine: Promise<Record<string, unknown>>;
  /** Everything written to stdout and stderr so far. */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ChildProcess>();

export function startFixture(name: string, args: readonly string[], options: SpawnOptions = {}): FixtureProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', fixturePath(name), ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
  });
  running.add(child);
  let text = '';
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    // 'close', not 'exit': stdout and stderr are complete by then.
    child.once('close', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const firstLine = new Promise<Record<string, unknown>>((resolve, reject) => {
    const onData = (): void => {
      const newline = text.indexOf('\n');
      if (newline === -1) return;
      child.stdout?.off('data', onData);
      try {
        resolve(JSON.parse(text.slice(0, newline)) as Record<string, unknown>);
      } catch (error) {
        reject(new Error(`${name}: first line is not JSON: ${text}`, { cause: error }));
      }
    };
    child.stdout?.on('data', onData);
    void exited.then(({ code, signal }) => reject(new Error(`${name} exited (${code ?? signal}) before a line:\n${text}`)));
  });
  firstLine.catch(() => undefined); // observed by the tests that await it; avoid an unhandled rejection otherwise
  if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
  return { child, pid: child.pid, firstLine, output: () => text, exited };
}

/** Kills every fixture process still running and waits for them to exit. */
export async function killFixtures(): Promise<void> {
  await Promise.all(
    [...running].map(
      (child) =>
        new Promise<void>((resolve) => {
          child.once('close', () => resolve());
          child.kill('SIGKILL');
        }),
    ),
  );
}
