/** Server name → names it depends on (existing servers only, never itself). */
export type DependencyGraph = ReadonlyMap<string, readonly string[]>;

/** Strongly connected components (Tarjan), each as a set of names. */
function findComponents(names: readonly string[], graph: DependencyGraph): Set<string>[] {
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: Set<string>[] = [];
  const visit = (name: string): void => {
    index.set(name, index.size);
    lowLink.set(name, index.get(name) ?? 0);
    stack.push(name);
    onStack.add(name);
    for (const next of graph.get(name) ?? []) {
      if (!index.has(next)) {
        visit(next);
        lowLink.set(name, Math.min(lowLink.get(name) ?? 0, lowLink.get(next) ?? 0));
      } else if (onStack.has(next)) {
        lowLink.set(name, Math.min(lowLink.get(name) ?? 0, index.get(next) ?? 0));
      }
    }
    if (lowLink.get(name) === index.get(name)) {
      const component = new Set<string>();
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member !== undefined) {
          onStack.delete(member);
          component.add(member);
        }
      } while (member !== undefined && member !== name);
      components.push(component);
    }
  };
  for (const name of names) if (!index.has(name)) visit(name);
  return components;
}

/** A path from `start` back to itself inside `component`, following `dependsOn` order. */
function findCyclePath(start: string, component: ReadonlySet<string>, graph: DependencyGraph): string[] {
  const path = [start];
  const visited = new Set([start]);
  const walk = (name: string): boolean => {
    for (const next of graph.get(name) ?? []) {
      if (next === start) {
        path.push(start);
        return true;
      }
      if (!component.has(next) || visited.has(next)) continue;
      visited.add(next);
      path.push(next);
      if (walk(next)) return true;
      path.pop();
    }
    return false;
  };
  walk(start);
  return path;
}

/**
 * Finds the dependency cycles of a graph: one per group of servers that depend on each other, as a
 * path that starts and ends at the group's first server in `names` order, each step a `dependsOn`
 * edge (`['a', 'b', 'c', 'a']`: a depends on b, b on c, c on a). Ordered by that first server.
 */
export function findDependencyCycles(names: readonly string[], graph: DependencyGraph): string[][] {
  const position = new Map(names.map((name, index) => [name, index]));
  const first = (component: ReadonlySet<string>): string =>
    [...component].reduce((best, name) => ((position.get(name) ?? 0) < (position.get(best) ?? 0) ? name : best));
  return findComponents(names, graph)
    .filter((component) => component.size > 1)
    .map((component) => findCyclePath(first(component), component, graph))
    .sort((left, right) => (position.get(left[0] ?? '') ?? 0) - (position.get(right[0] ?? '') ?? 0));
}

/**
 * Orders servers so that each comes after all of its dependencies. Among the servers ready to go at
 * each step, the one earliest in `names` comes first, so a config already written in dependency order
 * keeps its order exactly.
 *
 * @throws {TypeError} when the graph has a cycle (validateConfig reports cycles before ordering).
 */
export function orderByDependencies(names: readonly string[], graph: DependencyGraph): string[] {
  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < names.length) {
    const next = names.find(
      (name) => !placed.has(name) && (graph.get(name) ?? []).every((dependency) => placed.has(dependency)),
    );
    if (next === undefined)
      throw new TypeError(`Dependency cycle among: ${names.filter((name) => !placed.has(name)).join(', ')}`);
    order.push(next);
    placed.add(next);
  }
  return order;
}
