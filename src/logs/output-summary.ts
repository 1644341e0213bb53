/** Options of {@link summarizeOutput}. */
export interface OutputSummaryOptions {
  /** Lines kept from the start of the output (the server's startup). @default 10 */
  headLines?: number;
  /** Lines kept from the end of the output. @default 30 */
  tailLines?: number;
  /** A run of at least this many consecutive lines alike (equal once digits are ignored) is collapsed to its first line. @default 3 */
  collapseFrom?: number;
}

/** Lines kept from the start of a server's output in an error. */
export const SUMMARY_HEAD_LINES = 10;
/** Lines kept from the end of a server's output in an error. */
export const SUMMARY_TAIL_LINES = 30;

/** A line with every run of digits replaced: `GET /health 404 1.2ms` and `GET /health 404 0.9ms` are alike. */
function shapeOf(line: string): string {
  return line.replace(/\d+/g, '#');
}

/**
 * Collapses runs of consecutive lines alike (equal once digits are ignored: a probe's access-log lines,
 * a retry loop's messages) into their first line and `… N more like this`.
 */
export function collapseRepeats(lines: readonly string[], collapseFrom = 3): string[] {
  const out: string[] = [];
  let index = 0;
  while (index < lines.length) {
    const line = lines[index]!;
    const shape = shapeOf(line);
    let end = index + 1;
    while (end < lines.length && shapeOf(lines[end]!) === shape) end++;
    const run = end - index;
    if (run >= collapseFrom) out.push(line, `… ${run - 1} more like this`);
    else out.push(...lines.slice(index, end));
    index = end;
  }
  return out;
}

/**
 * What an error shows of a server's output: repeats collapsed ({@link collapseRepeats}), then its first
 * `headLines` (the startup, which usually says what is wrong) and its last `tailLines`, with
 * `… N lines …` between them when there are more.
 *
 * @param lines The output, oldest first.
 * @param skippedBefore Lines of output before `lines[0]` that were not read (a tail of a large file): the head is then unknown.
 */
export function summarizeOutput(
  lines: readonly string[],
  options: OutputSummaryOptions = {},
  skippedBefore = 0,
): string[] {
  const headLines = options.headLines ?? SUMMARY_HEAD_LINES;
  const tailLines = options.tailLines ?? SUMMARY_TAIL_LINES;
  const collapsed = collapseRepeats(lines, options.collapseFrom);
  if (collapsed.length <= headLines + tailLines + 1 && skippedBefore === 0) return collapsed;
  if (collapsed.length <= tailLines) return [`… (earlier output not shown)`, ...collapsed];
  const head = skippedBefore === 0 ? collapsed.slice(0, headLines) : [];
  const tail = tailLines === 0 ? [] : collapsed.slice(-tailLines);
  const hidden = collapsed.length - head.length - tail.length;
  return [...head, `… ${hidden} line(s) …`, ...tail];
}
