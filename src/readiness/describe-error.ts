/**
 * One-line description of a failed attempt's error for `lastError`: the message, plus the error code
 * when the message does not already contain it, e.g. `self-signed certificate (DEPTH_ZERO_SELF_SIGNED_CERT)`.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  const code = (error as NodeJS.ErrnoException).code;
  const message = error.message || error.name;
  return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
}
