import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadServersConfig } from '../../src/config/load-config.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'es-load-config-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const sources: Record<string, (mark: string) => string> = {
  mjs: (mark) =>
    `import { join } from 'node:path';\nexport default { api: { command: ['node', join('a', 'b'), import.meta.url], env: { MARK: '${mark}' } } };\n`,
  cjs: (mark) =>
    `const { join } = require('node:path');\nmodule.exports = { api: { command: ['node', join('a', 'b'), __filename], env: { MARK: '${mark}' } } };\n`,
  ts: (mark) =>
    `import { join } from 'node:path';\nconst config: Record<string, unknown> = { api: { command: ['node', join('a', 'b')], env: { MARK: '${mark}' } } };\nexport default config;\n`,
  js: (mark) => `export default async () => ({ api: { command: ['node', 'a/b'], env: { MARK: '${mark}' } } });\n`,
};

describe('loadServersConfig', () => {
  it.each(Object.keys(sources))(
    'loads a .%s config as it is now, each time (watch mode loads it again in the same process)',
    async (ext) => {
      const file = join(dir, `servers.config.${ext}`);
      const marks: unknown[] = [];
      for (const mark of ['1', '2']) {
        await writeFile(file, sources[ext]!(mark));
        const { config, path } = await loadServersConfig({ file });
        expect(path).toBe(file);
        marks.push((config.api as { env: Record<string, string> }).env.MARK);
      }
      // Before: the .mjs and .cjs files came from Node's module caches, the first version both times.
      expect(marks).toEqual(['1', '2']);
    },
  );

  it('an .mjs config sees its own import.meta.url and imports its neighbours', async () => {
    await writeFile(join(dir, 'ports.mjs'), 'export const apiPort = 4321;\n');
    const file = join(dir, 'servers.config.mjs');
    await writeFile(
      file,
      "import { apiPort } from './ports.mjs';\nexport default { api: { command: ['node', new URL('.', import.meta.url).pathname], port: apiPort } };\n",
    );
    const { config } = await loadServersConfig({ file });
    expect(config.api).toEqual({ command: ['node', `${dir}/`], port: 4321 });
  });
});
