/**
 * The servers this process (or worker thread) has used, by state file: each endpoint handed out by a
 * lookup (`getEndpoint` of any adapter, supertest's `request('api')`) or a fixture. The test adapters
 * check them when a test fails (`findDeadServers`). Kept on `globalThis` under a registered symbol, so
 * every bundle of this package in the process (each subpath's, ESM and CommonJS) shares one registry.
 */
const REGISTRY = Symbol.for('ephemeral-servers.used-servers');

type Registry = Map<string, Set<string>>;

function registry(): Registry {
  const holder = globalThis as { [REGISTRY]?: Registry };
  return (holder[REGISTRY] ??= new Map<string, Set<string>>());
}

/** Records that this process used the instance `key` (`<name>@<slot>`) of the run whose state file is `stateFile`. */
export function recordUsedServer(stateFile: string, key: string): void {
  const registered = registry();
  let keys = registered.get(stateFile);
  if (keys === undefined) registered.set(stateFile, (keys = new Set()));
  keys.add(key);
}

/** The instance keys this process used in the run of `stateFile`, in first-use order. */
export function usedServers(stateFile: string): string[] {
  return [...(registry().get(stateFile) ?? [])];
}
