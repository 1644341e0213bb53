/**
 * Real processes for the platform tests: sleepers, a zombie, a process group with a grandchild. Each
 * is detached (its own process group) and killed by `killAll()` in afterEach: a cleanup registry.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';

const groups = new Set<number>();

/** A started process: its pid and, for those that print pids, the lines they printed. */
export interface Started {
  child: ChildProcess;
  pid: number;
  /** Resolves with the first stdout line. */
  firstLine: Promise<string>;
}

/** Spawns `argv` detached, in its own process group, with `env` added to this environment. */
export async function start(argv: readonly string[], env: Record<string, string> = {}): Promise<Started> {
  const [file, ...args] = argv;
  const child = spawn(file!, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  await once(child, 'spawn');
  groups.add(child.pid!);
  child.unref();
  const firstLine = new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.slice(0, text.indexOf('\n')));
    });
    child.once('exit', () => reject(new Error(`${argv.join(' ')} exited before printing a line: ${text}`)));
  });
  firstLine.catch(() => undefined);
  return { child, pid: child.pid!, firstLine };
}

/** A `node` that sleeps forever; `extraArgs` go after the script (its argv, not its environment). */
export function startSleeper(env: Record<string, string> = {}, extraArgs: readonly string[] = []): Promise<Started> {
  return start([process.execPath, '-e', 'setInterval(() => {}, 1000)', ...extraArgs], env);
}

/**
 * A zombie that stays one: `sh` starts a short `sleep` in the background, prints its pid, then execs a
 * long `sleep`, which never waits for it: once the short one exits (0.1 s), it is a zombie until the
 * holder ends. Returns the holder (the long sleep, leader of the group) and the zombie-to-be's pid.
 */
export async function startZombie(): Promise<{ holder: Started; zombie: number }> {
  const holder = await start(['sh', '-c', 'sleep 0.1 & echo $!; exec sleep 60']);
  const zombie = Number(await holder.firstLine);
  return { holder, zombie };
}

/** A group leader (`sh`) with a grandchild (`sleep`) in the same group; prints the grandchild's pid. */
export async function startGroupWithGrandchild(): Promise<{ leader: Started; grandchild: number }> {
  const leader = await start(['sh', '-c', 'sleep 60 & echo $!; wait']);
  return { leader, grandchild: Number(await leader.firstLine) };
}

/** SIGKILLs every process group started here. */
export function killAll(): void {
  for (const pgid of groups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
  groups.clear();
}

/** Polls `probe` every 10 ms until it is true, up to `timeoutMs`; whether it became true. */
export async function eventually(probe: () => boolean, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}
