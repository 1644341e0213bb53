/**
 * What `defineWebServers` hands the launcher it puts in a `webServer` entry's command
 * (`node playwright-launcher.js <name> <payload>`): the server's spec as the user wrote it (regular
 * expressions encoded, as JSON has none), the port the runner allocated for it, and how to reach the
 * webServers it depends on. base64url, so that the shell Playwright runs the command in leaves it alone.
 */
export interface LaunchPayload {
  name: string;
  /** The user's spec, `dependsOn` included; JSON with regular expressions as `{ $regexp: [source, flags] }`. */
  spec: Record<string, unknown>;
  /** The port the runner allocated (and `baseURL` uses): tried first; taken, the launcher reserves another. */
  preferredPort: number | undefined;
  /** Environment variable through which Playwright hands the port the server got to the workers (see {@link portEnvOf}). */
  portEnv: string;
  /** The webServers this one depends on, started before it by Playwright: their host, URL template and port variable. */
  dependencies: Record<string, { host: string; url: string; portEnv: string }>;
}

/**
 * Environment variable naming a webServer's port: the launcher prints it in a named group of the
 * `wait.stdout` pattern, and Playwright sets every named group of that match in the runner's
 * `process.env`, which the workers inherit.
 */
export function portEnvOf(name: string): string {
  return `EPHEMERAL_SERVERS_PW_PORT_${name.toUpperCase().replace(/[^A-Z0-9_]/g, '_')}`;
}

/** The launcher's line once its server is ready; {@link readyPattern} matches it. */
export function readyLine(name: string, port: number, url: string): string {
  return `ephemeral-servers: webServer ${JSON.stringify(name)} ready on port ${port} (${url})`;
}

/** The `wait.stdout` pattern of a webServer entry: the ready line, its port in a group named after {@link portEnvOf}. */
export function readyPattern(name: string): RegExp {
  const quoted = JSON.stringify(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`ephemeral-servers: webServer ${quoted} ready on port (?<${portEnvOf(name)}>\\d+)`);
}

export function encodePayload(payload: LaunchPayload): string {
  const json = JSON.stringify(payload, (_key, value: unknown) =>
    value instanceof RegExp ? { $regexp: [value.source, value.flags] } : value,
  );
  return Buffer.from(json, 'utf8').toString('base64url');
}

export function decodePayload(text: string): LaunchPayload {
  return JSON.parse(Buffer.from(text, 'base64url').toString('utf8'), (_key, value: unknown) => {
    const encoded = (value as { $regexp?: unknown } | null)?.$regexp;
    return Array.isArray(encoded) && encoded.length === 2 ? new RegExp(String(encoded[0]), String(encoded[1])) : value;
  }) as LaunchPayload;
}
