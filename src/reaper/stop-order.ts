import type { StateEntry } from '../state/schema.js';

/** A recorded server: its state key (`<name>@<slot>`) and entry. */
export type KeyedEntry = readonly [key: string, entry: StateEntry];

/**
 * Groups recorded servers into stop levels, in reverse dependency order: level 0 holds the servers no
 * other listed server depends on, level 1 those whose dependents are all in level 0, and so on. Stopping
 * level by level stops every server before what it depends on; a level's servers are independent of
 * each other and may stop in parallel. Dependencies on servers that are not listed are ignored.
 *
 * @returns The levels, first to stop first; every entry appears exactly once.
 */
export function orderStopLevels(entries: readonly KeyedEntry[]): KeyedEntry[][] {
  const keys = new Set(entries.map(([key]) => key));
  const dependents = new Map<string, string[]>();
  for (const [key, entry] of entries) {
    for (const dependency of entry.dependsOn ?? []) {
      if (!keys.has(dependency)) continue;
      dependents.set(dependency, [...(dependents.get(dependency) ?? []), key]);
    }
  }
  const levelOf = new Map<string, number>();
  const visiting = new Set<string>();
  const level = (key: string): number => {
    const known = levelOf.get(key);
    if (known !== undefined) return known;
    // A cycle cannot be recorded (configs are validated); if a hand-edited file has one, break it here.
    if (visiting.has(key)) return 0;
    visiting.add(key);
    const value = Math.max(-1, ...(dependents.get(key) ?? []).map(level)) + 1;
    visiting.delete(key);
    levelOf.set(key, value);
    return value;
  };
  const levels: KeyedEntry[][] = [];
  for (const keyed of entries) (levels[level(keyed[0])] ??= []).push(keyed);
  return levels.filter((group) => group !== undefined);
}
