/**
 * How servers report that their port is taken:
 * - errno names: Node `Error: listen EADDRINUSE: address already in use 127.0.0.1:4000`, Windows
 *   `WSAEADDRINUSE`;
 * - strerror(EADDRINUSE): Python `OSError: [Errno 98] Address already in use`, Go
 *   `listen tcp 127.0.0.1:4000: bind: address already in use`, Rust `Address already in use (os error 98)`,
 *   Java `java.net.BindException: Address already in use`, nginx `(98: Address already in use)`;
 *   `Address in use` on some BSD libcs; macOS's errno is 48 (`[Errno 48]`);
 * - Windows' message: `Only one usage of each socket address (protocol/network address/port) is
 *   normally permitted`;
 * - tools that say it themselves: Vite with `strictPort` `Error: Port 5173 is already in use`.
 */
const ADDR_IN_USE_PATTERNS: readonly RegExp[] = [
  /\b(?:WSA)?EADDRINUSE\b/,
  /\baddress (?:is )?already in use\b/i,
  /\baddress in use\b/i,
  /\[Errno (?:98|48)\]/,
  /\bonly one usage of each socket address\b/i,
  /\bport \d+ is already in use\b/i,
];

/**
 * Whether a server's output says it could not bind because its address is in use, so that the caller
 * can retry on another port (see docs/architecture.md, "Ports: no race by construction", point 3).
 *
 * @param text Output of the server, typically the last lines of stdout and stderr joined with `\n`.
 */
export function isAddrInUseOutput(text: string): boolean {
  return ADDR_IN_USE_PATTERNS.some((pattern) => pattern.test(text));
}
