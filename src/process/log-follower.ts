import { closeSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { collapseRepeats, summarizeOutput, SUMMARY_HEAD_LINES, SUMMARY_TAIL_LINES } from '../logs/output-summary.js';
import type { OutputSource } from '../readiness/output-source.js';

/** Lines from the end of the output shown in error messages (after the first ones: see `summarizeOutput`). */
export const OUTPUT_TAIL_LINES = SUMMARY_TAIL_LINES;
/** Lines kept while following (what a `log` probe scans); older ones are dropped. */
const MAX_FOLLOWED_LINES = 50_000;
const CHUNK_BYTES = 64 * 1024;

/**
 * Follows a server's log file (its stdout and stderr both go to that file, through a file descriptor,
 * never a pipe: see docs/architecture.md, "The parent of every command server"). Reading is lazy and
 * synchronous: every access to {@link lines} pulls what was appended since the last one, so a
 * readiness probe always sees the newest output without a timer of its own.
 */
export class LogFollower implements OutputSource {
  readonly path: string;
  #fd: number | undefined;
  #position = 0;
  #partial = '';
  #lines: string[] = [];
  #dropped = 0;
  readonly #decoder = new TextDecoder();

  /**
   * @param startOffset Byte offset to follow from: the log file's size when the server was spawned, so
   *   the output of an earlier instance appended to the same file is never matched by a `log` probe.
   *   @default 0
   */
  constructor(path: string, startOffset = 0) {
    this.path = path;
    this.#fd = openSync(path, 'r');
    this.#position = startOffset;
  }

  /** Every complete line seen so far (up to the last 50 000), oldest first. */
  get lines(): readonly string[] {
    this.#pull();
    return this.#lines;
  }

  /**
   * Complete lines whose 0-based index (counted from the first line ever written) is `index` or more:
   * the `OutputSource` a `log` probe reads.
   */
  linesFrom(index: number): readonly string[] {
    this.#pull();
    return this.#lines.slice(Math.max(0, index - this.#dropped));
  }

  /** Number of lines dropped from the front of {@link lines} because of the cap. */
  get droppedLines(): number {
    return this.#dropped;
  }

  /**
   * What an error shows of the output, including a last line not yet ended by a newline: without
   * `count`, its summary (first lines, last lines, repeats collapsed: `summarizeOutput`); with `count`,
   * the last `count` lines as written.
   */
  tail(count?: number): string[] {
    this.#pull();
    const all = this.#partial ? [...this.#lines, this.#partial] : this.#lines;
    return count === undefined ? summarizeOutput(all, {}, this.#dropped) : all.slice(-count);
  }

  /** Stops following and closes the file. {@link tail} keeps answering with what was read. */
  close(): void {
    this.#pull();
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }

  #pull(): void {
    if (this.#fd === undefined) return;
    const size = fstatSync(this.#fd).size;
    if (size <= this.#position) return;
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, size - this.#position));
    while (this.#position < size) {
      const read = readSync(this.#fd, buffer, 0, Math.min(buffer.length, size - this.#position), this.#position);
      if (read === 0) break;
      this.#position += read;
      const text = this.#partial + this.#decoder.decode(buffer.subarray(0, read), { stream: true });
      const parts = text.split(/\r?\n/);
      this.#partial = parts.pop() ?? '';
      for (const line of parts) this.#lines.push(line);
    }
    if (this.#lines.length > MAX_FOLLOWED_LINES) {
      const excess = this.#lines.length - MAX_FOLLOWED_LINES;
      this.#lines.splice(0, excess);
      this.#dropped += excess;
    }
  }
}

/**
 * What an error shows of a log file, or `[]` when it is gone: without `count`, its summary (its first
 * lines, then its last 64 KiB with repeats collapsed: `summarizeOutput`); with `count`, the last `count`
 * lines of its last 64 KiB.
 */
export function readLogTail(path: string, count?: number): string[] {
  return readLogFile(path, (fd, size) => {
    const length = Math.min(size, CHUNK_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const lines = buffer.toString('utf8').split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    if (size > length) lines.shift();
    if (count !== undefined) return lines.slice(-count);
    if (size <= length) return summarizeOutput(lines);
    // A large log: its first lines (from its first 16 KiB), then the end of its last 64 KiB.
    const headBuffer = Buffer.alloc(Math.min(16 * 1024, size - length));
    readSync(fd, headBuffer, 0, headBuffer.length, 0);
    const head = collapseRepeats(headBuffer.toString('utf8').split(/\r?\n/).slice(0, -1)).slice(0, SUMMARY_HEAD_LINES);
    return [...head, '… (the middle of the log is not shown)', ...collapseRepeats(lines).slice(-SUMMARY_TAIL_LINES)];
  });
}

/**
 * The lines a log file got from byte `offset` on (what a server wrote during one test), the last
 * `maxLines` of them with repeats collapsed, or `[]` when it is gone. At most the last 64 KiB are read.
 */
export function readLogSince(path: string, offset: number, maxLines = 50): string[] {
  return readLogFile(path, (fd, size) => {
    if (size <= offset) return [];
    const start = Math.max(offset, size - CHUNK_BYTES);
    const buffer = Buffer.alloc(size - start);
    readSync(fd, buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    if (start > offset) lines.shift();
    const collapsed = collapseRepeats(lines);
    return collapsed.length > maxLines
      ? [`… ${collapsed.length - maxLines} earlier line(s) …`, ...collapsed.slice(-maxLines)]
      : collapsed;
  });
}

/** Opens a log file and hands `read` its descriptor and size; `[]` when the file is gone. */
function readLogFile(path: string, read: (fd: number, size: number) => string[]): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    return read(fd, fstatSync(fd).size);
  } finally {
    closeSync(fd);
  }
}

/** The size of a log file in bytes, or 0 when it does not exist (yet). */
export function logSize(path: string): number {
  try {
    return statSync(path).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}
