import type { ConfigIssue } from '../errors.js';
import type { ServerSpecCheck, Template } from './check-server-spec.js';
import { findDependencyCycles, type DependencyGraph } from './dependency-graph.js';
import { PLACEHOLDER_FIELDS, SELF_PLACEHOLDER_FIELDS, findPlaceholders, type Placeholder } from './placeholders.js';
import { suggestName } from './suggest-name.js';

const KNOWN_PLACEHOLDERS = '{port}, {host}, {url}, {tmpDir} and {<server>.port}, {<server>.host}, {<server>.url}';

/** The placeholders a `url` template or an http probe's `url` may hold. */
const URL_FIELDS: Readonly<Record<'url' | 'probe-url', readonly string[]>> = {
  url: ['host', 'port', 'tmpDir'],
  'probe-url': ['host', 'port'],
};

function checkUrlPlaceholder(template: Template, placeholder: Placeholder, isCommand: boolean): string | undefined {
  const fields = URL_FIELDS[template.kind as 'url' | 'probe-url'].filter((field) => field !== 'tmpDir' || isCommand);
  if (placeholder.server === undefined && fields.includes(placeholder.field)) return undefined;
  const what = template.kind === 'url' ? 'A `url` template' : "An http probe's `url`";
  const list = fields.map((field) => `{${field}}`).join(', ');
  if (template.kind === 'url' && placeholder.server === undefined && placeholder.field === 'tmpDir') {
    return 'has placeholder `{tmpDir}`, but only a command server has a scratch directory: an in-process server (`app`) has none';
  }
  if (placeholder.field === 'url' && placeholder.server === undefined)
    return `has placeholder \`{url}\`, which is this URL itself: use ${list}`;
  return `has placeholder \`{${placeholder.key}}\`: ${what} holds ${list} of this server only`;
}

function unknownServer(name: string, names: readonly string[]): string {
  const suggestion = suggestName(name, names);
  return `names no server "${name}"${suggestion === undefined ? '' : `. Did you mean "${suggestion}"?`} Servers: ${names.join(', ')}`;
}

function checkPlaceholder(
  server: string,
  placeholder: Placeholder,
  dependsOn: ReadonlySet<string>,
  names: readonly string[],
  isCommand: boolean,
): string | undefined {
  const { key, field } = placeholder;
  const fieldValid = (PLACEHOLDER_FIELDS as readonly string[]).includes(field);
  if (placeholder.server === undefined) {
    if (fieldValid) return undefined;
    if (field === 'tmpDir') {
      return isCommand
        ? undefined
        : 'has placeholder `{tmpDir}`, but only a command server has a scratch directory: an in-process server (`app`) has none';
    }
    const suggestion = suggestName(field, SELF_PLACEHOLDER_FIELDS);
    return (
      `has an unknown placeholder \`{${key}}\`${suggestion === undefined ? '' : `. Did you mean \`{${suggestion}}\`?`} ` +
      `Placeholders are ${KNOWN_PLACEHOLDERS}; for the literal text \`{${key}}\` write \`{{${key}}}\``
    );
  }
  const target = placeholder.server;
  if (!names.includes(target)) return `has placeholder \`{${key}}\`, which ${unknownServer(target, names)}`;
  if (!fieldValid) {
    return `has an unknown placeholder \`{${key}}\`: a server offers \`{${target}.url}\`, \`{${target}.port}\` and \`{${target}.host}\``;
  }
  if (target === server)
    return `has placeholder \`{${key}}\`, which refers to this server itself: write \`{${field}}\``;
  if (!dependsOn.has(target)) {
    return `has placeholder \`{${key}}\`: add "${target}" to \`dependsOn\`, so that it is ready (and its ${field} known) before "${server}" starts`;
  }
  return undefined;
}

function checkTemplates(
  server: string,
  templates: readonly Template[],
  dependsOn: ReadonlySet<string>,
  names: readonly string[],
  isCommand: boolean,
): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const entry of templates) {
    const { path, template } = entry;
    const messages = new Set<string>(); // `{x}{x}` is one problem
    for (const placeholder of findPlaceholders(template)) {
      const message =
        entry.kind === 'command'
          ? checkPlaceholder(server, placeholder, dependsOn, names, isCommand)
          : checkUrlPlaceholder(entry, placeholder, isCommand);
      if (message !== undefined) messages.add(message);
    }
    for (const message of messages) issues.push({ server, path, message });
  }
  return issues;
}

/**
 * Checks the rules between servers: `dependsOn` names an existing server other than itself, a `run`
 * server does not depend on a `worker` server, placeholders name known fields and servers listed in
 * `dependsOn`, and no dependency cycle (each reported once, on its first server in config order).
 * Returns the issues and the dependency graph (existing, non-self dependencies, without duplicates).
 */
export function checkReferences(
  names: readonly string[],
  checks: ReadonlyMap<string, ServerSpecCheck>,
): { issues: ConfigIssue[]; graph: DependencyGraph } {
  const issues: ConfigIssue[] = [];
  const graph = new Map<string, string[]>();
  for (const server of names) {
    const check = checks.get(server);
    if (check === undefined) continue;
    const edges: string[] = [];
    for (const { name, index } of check.dependsOn) {
      const path = `dependsOn[${index}]`;
      if (name === server) {
        issues.push({ server, path, message: 'names the server itself: a server cannot depend on itself' });
      } else if (!names.includes(name)) {
        issues.push({ server, path, message: unknownServer(name, names) });
      } else {
        if (check.scope === 'run' && checks.get(name)?.scope === 'worker') {
          issues.push({
            server,
            path,
            message:
              `names "${name}", which is \`worker\`-scoped (one instance per worker slot), ` +
              `while "${server}" is \`run\`-scoped (one for the whole run) ` +
              `and so cannot know which instance to use: make "${server}" \`scope: 'worker'\`, or "${name}" \`scope: 'run'\``,
          });
        }
        if (!edges.includes(name)) edges.push(name);
      }
    }
    graph.set(server, edges);
    issues.push(...checkTemplates(server, check.templates, new Set(edges), names, check.isCommand));
  }
  for (const cycle of findDependencyCycles(names, graph)) {
    issues.push({
      server: cycle[0],
      path: 'dependsOn',
      message:
        `is part of a dependency cycle: ${cycle.join(' → ')}. ` +
        'Servers start after their dependencies, so one of these `dependsOn` entries must go',
    });
  }
  return { issues, graph };
}
