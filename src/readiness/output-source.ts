/**
 * Where a `log` probe reads a server's output from. The process module implements it (for a command
 * server, `LogFollower` follows the log file where stdout and stderr are interleaved as written); an
 * in-process server with a `log` probe can pass `{ lines: [] }`.
 */
export interface OutputSource {
  /**
   * Every complete line seen so far, oldest first, without line terminators. A partial last line is
   * left out until it is complete. May be a getter that reads newly written output on each access.
   */
  readonly lines: readonly string[];
  /**
   * Lines dropped from the front of {@link lines} to bound memory: `lines[0]` is the line of index
   * `droppedLines` in the whole output. Read after `lines`. @default 0
   */
  readonly droppedLines?: number;
}
