import { platformBackend } from '../platform/select-backend.js';

/**
 * Ports with a listening TCP socket on any address, IPv4 or IPv6, through the platform backend:
 * `/proc/net/tcp*` (proc(5)) or `lsof -iTCP -sTCP:LISTEN` (lsof(8)). This reads and never binds, so
 * it cannot disturb another process's bind.
 *
 * @returns the ports, or `undefined` where they cannot be listed (no `/proc/net/tcp`, no lsof).
 * @throws ProcessTableError when no backend works here.
 */
export async function listListeningPorts(): Promise<Set<number> | undefined> {
  return platformBackend().listListeningPorts();
}
