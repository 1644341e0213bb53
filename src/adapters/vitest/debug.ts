/** Environment variable that turns on timing lines on stderr (`1` or `true`). */
export const DEBUG_ENV = 'EPHEMERAL_SERVERS_DEBUG';

/** Writes `ephemeral-servers: <message>` to stderr when `EPHEMERAL_SERVERS_DEBUG` is `1` or `true`. */
export function debugLog(message: string): void {
  const value = process.env[DEBUG_ENV];
  if (value === '1' || value === 'true') process.stderr.write(`ephemeral-servers: ${message}\n`);
}
