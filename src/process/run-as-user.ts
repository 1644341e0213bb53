import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { ServerStartError } from '../errors.js';

/** User and group ids a command server runs as. */
export interface RunAsIds {
  uid: number;
  gid: number;
}

function lookUpId(server: string, user: string | number, flag: '-u' | '-g'): number {
  let output: string;
  try {
    output = execFileSync('id', [flag, String(user)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    // `stderr` is a string (encoding utf8) when `id` ran; a spawn error (ENOENT) has none.
    const captured = (error as { stderr?: unknown }).stderr;
    const stderr = (typeof captured === 'string' ? captured : (error as Error).message).trim();
    throw new ServerStartError(
      server,
      `\`user\` ${JSON.stringify(user)} names no user this system knows (\`id ${flag} ${user}\`: ${stderr}). Create the user, or fix the server's \`user\` field.`,
      {
        cause: error,
      },
    );
  }
  const id = Number.parseInt(output.trim(), 10);
  if (!Number.isInteger(id))
    throw new ServerStartError(server, `\`id ${flag} ${user}\` printed ${JSON.stringify(output)}, not a number.`);
  return id;
}

/**
 * The uid and gid of a spec's `user` (a name or a uid; its primary group), looked up with POSIX
 * `id -u`/`id -g` (macOS and Linux alike; there is no `getpwnam` in Node). `undefined` when `user` is
 * not set or is this process's own user: nothing to change.
 *
 * @throws ServerStartError when the user does not exist, or when this process is not root (only root
 *   may spawn as another user: Node's `child_process.spawn` `uid`/`gid`, setuid(2)).
 */
export function resolveRunAs(server: string, user: string | number | undefined): RunAsIds | undefined {
  if (user === undefined) return undefined;
  const uid = lookUpId(server, user, '-u');
  const ownUid = process.getuid?.();
  if (uid === ownUid) return undefined;
  if (ownUid !== 0) {
    throw new ServerStartError(
      server,
      `\`user: ${JSON.stringify(user)}\` needs this process to run as root to switch users, but it runs as uid ${ownUid ?? 'unknown'}. ` +
        "Set `user` only when running as root, e.g. `user: process.getuid?.() === 0 ? 'postgres' : undefined`.",
    );
  }
  return { uid, gid: lookUpId(server, user, '-g') };
}

/**
 * Creates a fresh scratch directory for one instance: `<tmpRoot>/<key>-XXXXXX`, mode 0700, owned by
 * `runAs` when given. `tmpRoot` (and, for another user, the run directory) get mode 0711: that user may
 * pass through to its own directory, nobody may list them; the state file and the socket stay 0600.
 */
export function createScratchDirectory(
  runDir: string,
  tmpRoot: string,
  key: string,
  runAs: RunAsIds | undefined,
): string {
  mkdirSync(tmpRoot, { recursive: true, mode: 0o711 });
  chmodSync(tmpRoot, 0o711);
  const dir = mkdtempSync(join(tmpRoot, `${key}-`));
  chmodSync(dir, 0o700);
  if (runAs !== undefined) {
    chmodSync(runDir, 0o711);
    chownSync(dir, runAs.uid, runAs.gid);
  }
  return dir;
}
