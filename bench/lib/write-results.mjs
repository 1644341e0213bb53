// Writes results: bench/results/latest.{json,md}, and the quoted block of docs/benchmarks.md.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderMarkdown } from './report.mjs';

const RESULTS = fileURLToPath(new URL('../results/', import.meta.url));
const DOCS = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
const BEGIN = '<!-- results:begin -->';
const END = '<!-- results:end -->';

/** Writes every output of `results`; returns the markdown. */
export function writeResults(results) {
  const markdown = renderMarkdown(results);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(`${RESULTS}latest.json`, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(`${RESULTS}latest.md`, markdown);
  if (existsSync(DOCS)) {
    const text = readFileSync(DOCS, 'utf8');
    const [head, rest] = text.split(BEGIN);
    if (rest !== undefined && rest.includes(END)) {
      const body = markdown.replace(/^# .*\n\n/, '').replace(/^## /gm, '### ');
      writeFileSync(DOCS, `${head}${BEGIN}\n${body}${END}${rest.split(END)[1]}`);
    }
  }
  return markdown;
}

// `node bench/lib/write-results.mjs`: re-renders from results/latest.json (after changing the report).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeResults(JSON.parse(readFileSync(`${RESULTS}latest.json`, 'utf8')));
}
