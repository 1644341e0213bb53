import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Fixtures transpiled to plain JavaScript, with everything they import from this repository. */
export interface CompiledFixtures {
  /** Absolute path of the compiled `test/fixtures/<name>`. */
  pathOf(name: string): string;
  remove(): Promise<void>;
}

/**
 * Transpiles `test/fixtures/<name>` for each name, and the repository files they import (followed
 * through relative specifiers), to JavaScript under `node_modules/.cache/`, so that bare imports
 * (`zod`, …) resolve. Stress tests start dozens of child processes: plain `node` starts one in about
 * 0.25 s of CPU where `node --import tsx` takes 0.6 s, which on 2 cores is most of the difference
 * between a quick suite and a slow one. Types are only stripped (`transpileModule`), not checked:
 * `tsc --noEmit` does that.
 */
export async function compileFixtures(names: readonly string[]): Promise<CompiledFixtures> {
  const { default: ts } = await import('typescript');
  const cacheDir = join(ROOT, 'node_modules', '.cache');
  await mkdir(cacheDir, { recursive: true });
  const outDir = await mkdtemp(join(cacheDir, 'ephemeral-servers-fixtures-'));
  await writeFile(join(outDir, 'package.json'), '{ "type": "module" }\n');

  const pending = names.map((name) => join(ROOT, 'test', 'fixtures', name));
  const done = new Set<string>();
  while (pending.length > 0) {
    const source = pending.pop()!;
    if (done.has(source)) continue;
    done.add(source);
    const text = await readFile(source, 'utf8');
    for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)\.js'/g)) {
      pending.push(resolve(dirname(source), `${specifier}.ts`));
    }
    const { outputText } = ts.transpileModule(text, {
      fileName: source,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true },
    });
    const target = join(outDir, relative(ROOT, source)).replace(/\.ts$/, '.js');
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, outputText);
  }
  return {
    pathOf: (name) => join(outDir, 'test', 'fixtures', name.replace(/\.ts$/, '.js')),
    remove: () => rm(outDir, { recursive: true, force: true }),
  };
}
