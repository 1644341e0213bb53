import { ConfigError, type ConfigIssue } from '../errors.js';
import { checkReferences } from './check-references.js';
import { checkServerSpec, type ServerSpecCheck } from './check-server-spec.js';
import { describeValue, isPlainObject } from './config-issues.js';
import { orderByDependencies } from './dependency-graph.js';
import type { NormalizedSpec, ServerPlan } from './normalized.js';

const EXAMPLE = "{ api: { command: ['node', 'server.js'] } }";

/** Issues of the config as a whole first, then each server's in config order (stable within a server). */
function sortIssues(issues: readonly ConfigIssue[], names: readonly string[]): ConfigIssue[] {
  const rank = (issue: ConfigIssue): number => (issue.server === undefined ? -1 : names.indexOf(issue.server));
  return [...issues].sort((left, right) => rank(left) - rank(right));
}

/**
 * Validates a servers config and normalizes it into a {@link ServerPlan}: every spec with its defaults
 * applied (see `DEFAULTS`), `cwd` made absolute (against `process.cwd()`), `readiness` expanded into
 * probes (`[{ type: 'tcp' }]` for a command server without one, `[]` for an in-process server without
 * one), `port` as a `PortRequest` (`0` means `announced` for a command server, `auto` for an
 * in-process one), plus `order`: every server after its dependencies, ties in config order.
 *
 * Checked: the config is an object with at least one server; names match `[A-Za-z0-9_-]+`; each spec has
 * exactly one of `command`/`app` and only known fields (with "did you mean" for near misses); every
 * field's type and range (ports 0..65535, timeouts in whole milliseconds, signals of
 * `os.constants.signals`, hosts as IPv4/IPv6/host names); `port: 0` on a command server comes with a
 * `log` probe capturing a `port` group; `dependsOn` names other existing servers, without cycles, and a
 * `run` server depends on no `worker` server; placeholders in `command` and `env` (`{port}`, `{host}`,
 * `{url}`, `{<server>.port|host|url}`) are known and name servers listed in `dependsOn`.
 *
 * Pure apart from reading `process.cwd()`: nothing is spawned, bound or read from disk.
 *
 * @throws {ConfigError} with every problem found (`issues`: server, dotted path such as `command[2]` or
 *   `readiness[1].path`, and a message saying what to do), never just the first.
 */
export function validateConfig(config: unknown): ServerPlan {
  if (!isPlainObject(config)) {
    throw new ConfigError([
      {
        path: '',
        message: `The config must be an object of server name → spec, e.g. ${EXAMPLE}; received ${describeValue(config)}`,
      },
    ]);
  }
  const names = Object.keys(config);
  if (names.length === 0) {
    throw new ConfigError([{ path: '', message: `The config declares no server: add at least one, e.g. ${EXAMPLE}` }]);
  }
  const checks = new Map<string, ServerSpecCheck>();
  const issues: ConfigIssue[] = [];
  for (const name of names) {
    const check = checkServerSpec(name, config[name]);
    checks.set(name, check);
    issues.push(...check.issues);
  }
  const references = checkReferences(names, checks);
  issues.push(...references.issues);
  if (issues.length > 0) throw new ConfigError(sortIssues(issues, names));

  const specs = new Map<string, NormalizedSpec>();
  for (const [name, check] of checks) {
    // No issue means checkServerSpec normalized every spec.
    if (check.spec !== undefined) specs.set(name, check.spec);
  }
  return { specs, order: orderByDependencies(names, references.graph) };
}
