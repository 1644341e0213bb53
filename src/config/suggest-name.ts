/** Edit distance (insertions, deletions, substitutions), case-insensitive. */
function distance(a: string, b: string): number {
  const left = a.toLowerCase();
  const right = b.toLowerCase();
  let previous = Array.from({ length: right.length + 1 }, (_, index) => index);
  for (let i = 1; i <= left.length; i++) {
    const current = [i];
    for (let j = 1; j <= right.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (left[i - 1] === right[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[right.length] ?? 0;
}

/**
 * Picks the candidate `input` was most likely meant to be: an entry of `aliases` (e.g. `cmd` →
 * `command`), else the closest candidate by edit distance (at most a third of its length, rounded up),
 * else the only candidate that starts with or contains `input` (4+ characters). `undefined` when nothing
 * is close.
 *
 * @example suggestName('stopTimeout', ['stopTimeoutMs', 'startTimeoutMs']) === 'stopTimeoutMs'
 */
export function suggestName(
  input: string,
  candidates: readonly string[],
  aliases: Readonly<Record<string, string>> = {},
): string | undefined {
  const alias = Object.hasOwn(aliases, input.toLowerCase()) ? aliases[input.toLowerCase()] : undefined;
  if (alias !== undefined && candidates.includes(alias)) return alias;
  const limit = Math.max(1, Math.ceil(input.length / 3));
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const current = distance(input, candidate);
    if (current <= limit && current < bestDistance) {
      best = candidate;
      bestDistance = current;
    }
  }
  if (best !== undefined || input.length < 4) return best;
  const needle = input.toLowerCase();
  const containing = candidates.filter((candidate) => candidate.toLowerCase().includes(needle));
  return containing.length === 1 ? containing[0] : undefined;
}
