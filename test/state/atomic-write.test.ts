import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { removeAtomicWriteLeftovers, writeFileAtomic, writeFileAtomicSync } from '../../src/state/index.js';
import { useTempDirs } from './temp-dir.js';

const makeTempDir = useTempDirs();

describe('writeFileAtomic', () => {
  it('writes the content with mode 0600 and leaves no temp file', async () => {
    const file = join(await makeTempDir(), 'state.json');
    await writeFileAtomic(file, '{"a":1}');
    expect(await readFile(file, 'utf8')).toBe('{"a":1}');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(file, '..'))).toEqual(['state.json']);
  });

  it('replaces a 0644 file with a 0600 one', async () => {
    const file = join(await makeTempDir(), 'state.json');
    await writeFile(file, 'old', { mode: 0o644 });
    const before = await stat(file);
    await writeFileAtomic(file, 'new');
    const after = await stat(file);
    expect(await readFile(file, 'utf8')).toBe('new');
    expect(after.mode & 0o777).toBe(0o600);
    // A rename, not an in-place write: readers holding the old file keep the old content.
    expect(after.ino).not.toBe(before.ino);
  });

  it('has a synchronous variant with the same result', async () => {
    const file = join(await makeTempDir(), 'state.json');
    await writeFile(file, 'old', { mode: 0o644 });
    writeFileAtomicSync(file, 'sync');
    expect(await readFile(file, 'utf8')).toBe('sync');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('fails with the fs error when the directory does not exist', async () => {
    const file = join(await makeTempDir(), 'missing', 'state.json');
    await expect(writeFileAtomic(file, 'x')).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('removeAtomicWriteLeftovers', () => {
  it("removes only the temp files of that path (`<path>.<digits>`)", async () => {
    const dir = await makeTempDir();
    const file = join(dir, 'state.json');
    for (const name of ['state.json', 'state.json.123', 'state.json.4294967295', 'state.json.lock', 'state.json.12a', 'other.json.55']) {
      await writeFile(join(dir, name), 'x');
    }
    expect(await removeAtomicWriteLeftovers(file)).toBe(2);
    expect((await readdir(dir)).sort()).toEqual(['other.json.55', 'state.json', 'state.json.12a', 'state.json.lock']);
  });
});
