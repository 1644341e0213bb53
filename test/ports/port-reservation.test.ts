import { chown, lstat, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PortReservationError } from '../../src/errors.js';
import { defaultReservationDir, RESERVATION_DIR_ENV, reservePort } from '../../src/ports/index.js';
import { listClaimedPorts } from '../../src/ports/port-reservation.js';
import { isProcessAlive, readProcessStartTime } from '../../src/process/process-identity.js';
import { killFixtures, startFixture } from './fixture-process.js';
import { reusedStartTime } from '../process/backend.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'es-ports-reservation-'));
});

afterEach(async () => {
  await killFixtures();
  await rm(dir, { recursive: true, force: true });
});

/** A real process that has exited: its pid and the start time it had. */
async function deadProcess(): Promise<{ pid: number; startTime: string }> {
  const holder = startFixture('port-reservation-holder.ts', [join(dir, 'unused'), '1']);
  await holder.firstLine;
  const startTime = readProcessStartTime(holder.pid);
  holder.child.kill('SIGKILL');
  await holder.exited;
  expect(startTime).toBeDefined();
  expect(isProcessAlive(holder.pid, startTime)).toBe(false);
  return { pid: holder.pid, startTime: startTime! };
}

describe('reservePort', () => {
  it('defaults to a per-user directory under the OS temp dir, or EPHEMERAL_SERVERS_RESERVATION_DIR (empty: unset)', () => {
    const fallback = join(tmpdir(), `ephemeral-servers-ports-${process.getuid!()}`);
    expect(defaultReservationDir({})).toBe(fallback);
    expect(defaultReservationDir({ [RESERVATION_DIR_ENV]: '' })).toBe(fallback);
    expect(defaultReservationDir({ [RESERVATION_DIR_ENV]: '/srv/ports' })).toBe('/srv/ports');
  });

  it('a regular file where the directory goes (or on its path): PortReservationError whose fix names EPHEMERAL_SERVERS_RESERVATION_DIR, which moves it', async () => {
    const file = join(dir, 'file');
    await writeFile(file, '');
    const previous = process.env[RESERVATION_DIR_ENV];
    try {
      for (const [path, code] of [
        [file, 'EEXIST'],
        [join(file, 'below'), 'ENOTDIR'],
      ] as const) {
        process.env[RESERVATION_DIR_ENV] = path;
        const error = await reservePort(40_005).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(PortReservationError);
        expect(error).toMatchObject({ code: 'ES_PORT_RESERVATION', dir: path });
        expect((error as Error).message).toContain(`Port reservation directory ${path} cannot be created`);
        expect((error as Error).message).toContain(`(${code})`);
        expect((error as Error).message).toMatch(/What to do: .*set `EPHEMERAL_SERVERS_RESERVATION_DIR`/);
      }
      // The fix: another directory, through the variable alone.
      process.env[RESERVATION_DIR_ENV] = join(dir, 'moved');
      const reservation = await reservePort(40_005);
      expect(await readdir(join(dir, 'moved'))).toEqual(['40005']);
      await reservation?.release();
    } finally {
      if (previous === undefined) delete process.env[RESERVATION_DIR_ENV];
      else process.env[RESERVATION_DIR_ENV] = previous;
    }
  });

  it('reserves a port once, until released; release is idempotent and cleans up', async () => {
    const first = await reservePort(40_001, { dir });
    expect(first?.port).toBe(40_001);
    expect(await reservePort(40_001, { dir })).toBeUndefined();
    const other = await reservePort(40_002, { dir });
    expect(other?.port).toBe(40_002);
    await Promise.all([first!.release(), first!.release()]);
    await first!.release();
    const again = await reservePort(40_001, { dir });
    expect(again?.port).toBe(40_001);
    await again![Symbol.asyncDispose]();
    await other!.release();
    expect(await readdir(dir)).toEqual([]);
  });

  it('creates its directory with mode 0700, parents included', async () => {
    const nested = join(dir, 'a', 'b');
    const reservation = await reservePort(40_003, { dir: nested });
    expect((await lstat(nested)).mode & 0o777).toBe(0o700);
    expect((await lstat(join(nested, '40003'))).mode & 0o777).toBe(0o700);
    await reservation?.release();
  });

  it('refuses a directory owned by another user, or a symlink', async () => {
    const foreign = join(dir, 'foreign');
    await mkdir(foreign, { mode: 0o700 });
    await chown(foreign, 65_534, 65_534);
    await expect(reservePort(40_004, { dir: foreign })).rejects.toThrow(/owned by uid 65534/);
    const link = join(dir, 'link');
    await mkdir(join(dir, 'target'));
    await symlink(join(dir, 'target'), link);
    await expect(reservePort(40_004, { dir: link })).rejects.toThrow(/not a directory/);
  });

  it('rejects ports outside 1-65535', async () => {
    await expect(reservePort(0, { dir })).rejects.toThrow(RangeError);
    await expect(reservePort(65_536, { dir })).rejects.toThrow(
      /`port` must be an integer from 1 to 65535, received 65536/,
    );
    await expect(reservePort(1.5, { dir })).rejects.toThrow(RangeError);
  });

  it("respects a live process's reservation, and takes it over once that process is dead", async () => {
    const holder = startFixture('port-reservation-holder.ts', [dir, '40005']);
    expect(await holder.firstLine).toEqual({ pid: holder.pid, port: 40_005 });
    expect(await reservePort(40_005, { dir })).toBeUndefined();
    const staleClaims = await readdir(join(dir, '40005'));
    expect(staleClaims).toHaveLength(1);

    holder.child.kill('SIGKILL'); // no chance to release
    await holder.exited;
    expect(await readdir(join(dir, '40005'))).toEqual(staleClaims);
    const taken = await reservePort(40_005, { dir });
    expect(taken?.port).toBe(40_005);
    const claims = await readdir(join(dir, '40005'));
    expect(claims).toHaveLength(1);
    expect(claims[0]).toMatch(new RegExp(`^${process.pid}-`));
    console.log(`stale claim ${staleClaims[0]} of dead pid ${holder.pid} taken over by ${claims[0]}`);
    await taken?.release();
  });

  it('treats a claim whose pid was reused (other start time) or whose process is dead as stale', async () => {
    const dead = await deadProcess();
    await mkdir(join(dir, '40006'), { recursive: true });
    await mkdir(join(dir, '40007'), { recursive: true });
    // Our own live pid, but a start time that is not ours: a reused pid.
    const reusedClaim = `${process.pid}-${reusedStartTime()}-abc`;
    await writeFile(join(dir, '40006', reusedClaim), '');
    await writeFile(join(dir, '40007', `${dead.pid}-${dead.startTime}-abc`), '');
    const reused = await reservePort(40_006, { dir });
    const deadOne = await reservePort(40_007, { dir });
    expect(reused?.port).toBe(40_006);
    expect(deadOne?.port).toBe(40_007);
    expect(await readdir(join(dir, '40006'))).not.toContain(reusedClaim);
    expect(await readdir(join(dir, '40007'))).not.toContain(`${dead.pid}-${dead.startTime}-abc`);
    await reused?.release();
    await deadOne?.release();
  });

  it('ignores files that are not claims', async () => {
    await mkdir(join(dir, '40008'), { recursive: true });
    await writeFile(join(dir, '40008', 'README'), '');
    const reservation = await reservePort(40_008, { dir });
    expect(reservation?.port).toBe(40_008);
    await reservation?.release();
    expect(await readdir(join(dir, '40008'))).toEqual(['README']);
  });
});

describe('listClaimedPorts', () => {
  it('lists the ports with a port directory: held, or left by a dead process; nothing else', async () => {
    expect(await listClaimedPorts({ dir: join(dir, 'new') })).toEqual(new Set()); // created on the way
    const held = await reservePort(40_011, { dir });
    await mkdir(join(dir, '40012'));
    await writeFile(join(dir, '40012', '2147483647-x-5ca1e'), ''); // stale: only reservePort can tell
    await writeFile(join(dir, 'README'), '');
    await mkdir(join(dir, '0123'));
    expect(await listClaimedPorts({ dir })).toEqual(new Set([40_011, 40_012]));
    await held?.release();
    expect(await listClaimedPorts({ dir })).toEqual(new Set([40_012]));
  });

  it('refuses a directory owned by another user, as reservePort does', async () => {
    const foreign = join(dir, 'foreign');
    await mkdir(foreign, { mode: 0o700 });
    await chown(foreign, 65_534, 65_534);
    await expect(listClaimedPorts({ dir: foreign })).rejects.toThrow(/owned by uid 65534/);
  });
});
