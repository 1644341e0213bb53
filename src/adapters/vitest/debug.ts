/** Environment variable that turns on timing lines on stderr (`1` or `true`). */
export const DEBUG_ENV = 'EPHEMERAL_SERVERS_DEBUG';

/** Whether `EPHEMERAL_SERVERS_DEBUG` is `1` or `true`: lines that cost something to build are built only then. */
export function isDebugEnabled(): boolean {
  const value = process.env[DEBUG_ENV];
  return value === '1' || value === 'true';
}

/** Writes `ephemeral-servers: <message>` to stderr when `EPHEMERAL_SERVERS_DEBUG` is `1` or `true`. */
export function debugLog(message: string): void {
  if (isDebugEnabled()) process.stderr.write(`ephemeral-servers: ${message}\n`);
}
