import { closeSync, openSync, readSync } from 'node:fs';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeFileAtomicSync } from '../../src/state/index.js';
import { useTempDirs } from './temp-dir.js';

const makeTempDir = useTempDirs();

/** Runs `fn` with the process umask set to `mask`, restoring the previous one afterwards. */
function withUmask<T>(mask: number, fn: () => T): T {
  const previous = process.umask(mask);
  try {
    return fn();
  } finally {
    process.umask(previous);
  }
}

async function modeOf(path: string): Promise<number> {
  return (await stat(path)).mode & 0o777;
}

describe('writeFileAtomicSync', () => {
  it('writes the content with mode 0600 and leaves no temp file', async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'state.json');
    writeFileAtomicSync(file, '{"a":1}');
    writeFileAtomicSync(file, '{"a":2}');
    expect(await readFile(file, 'utf8')).toBe('{"a":2}');
    expect(await modeOf(file)).toBe(0o600);
    expect(await readdir(dir)).toEqual(['state.json']);
  });

  it.each([0o000, 0o002, 0o022, 0o077])('creates and replaces with mode 0600 under umask %o', async (mask) => {
    const dir = await makeTempDir();
    const fresh = join(dir, 'fresh.json');
    const replaced = join(dir, 'replaced.json');
    await writeFile(replaced, 'old', { mode: 0o644 });
    withUmask(mask, () => {
      writeFileAtomicSync(fresh, 'new');
      writeFileAtomicSync(replaced, 'new');
    });
    expect(await modeOf(fresh)).toBe(0o600);
    expect(await modeOf(replaced)).toBe(0o600);
  });

  // Known bug (reported): the mode is only passed to open(2), which applies the umask; a umask that
  // clears the owner's bits gives 0400 (or 0000 under 0o777, unreadable for a non-root reader).
  it('gives mode 0600 even under a umask that clears the owner bits (0o277)', async () => {
    const file = join(await makeTempDir(), 'state.json');
    withUmask(0o277, () => writeFileAtomicSync(file, 'x'));
    expect(await modeOf(file)).toBe(0o600);
  });

  it('replaces the file by a rename: a reader that opened the old one keeps reading the old content whole', async () => {
    const file = join(await makeTempDir(), 'state.json');
    const oldContent = 'a'.repeat(1 << 20);
    writeFileAtomicSync(file, oldContent);
    const before = await stat(file);
    const fd = openSync(file, 'r');
    try {
      writeFileAtomicSync(file, 'b'.repeat(1 << 19));
      const buffer = Buffer.alloc(oldContent.length + 1);
      expect(readSync(fd, buffer, 0, buffer.length, 0)).toBe(oldContent.length);
      expect(buffer.subarray(0, oldContent.length).toString()).toBe(oldContent);
    } finally {
      closeSync(fd);
    }
    expect((await stat(file)).ino).not.toBe(before.ino);
    expect(await readFile(file, 'utf8')).toBe('b'.repeat(1 << 19));
  });

  it('fails with ENOENT when the directory does not exist, creating nothing', async () => {
    const dir = await makeTempDir();
    expect(() => writeFileAtomicSync(join(dir, 'missing', 'state.json'), 'x')).toThrow(
      expect.objectContaining({ code: 'ENOENT' }),
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('removes its temp file when the rename fails (the target is a directory)', async () => {
    const dir = await makeTempDir();
    const target = join(dir, 'state.json');
    await mkdir(target);
    await writeFile(join(target, 'inside'), 'kept');
    // rename(2) of a file over a directory: EISDIR.
    expect(() => writeFileAtomicSync(target, 'x')).toThrow(expect.objectContaining({ code: 'EISDIR' }));
    expect(await readdir(dir)).toEqual(['state.json']);
    expect(await readdir(target)).toEqual(['inside']);
  });
});
