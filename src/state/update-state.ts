import { resolve } from 'node:path';
import { removeAtomicWriteLeftovers, writeFileAtomic } from './atomic-write.js';
import { formatSchemaIssues, parseStateJson, validateState } from './parse-state.js';
import { stateFileSchema, type StateFile } from './schema.js';
import { readStateText, serializeState } from './state-file.js';
import { withStateLock, type HeldStateLock, type StateLockOptions } from './state-lock.js';

/** Changes a state in place; see {@link updateState}. */
export type StateMutation = (state: StateFile) => void | Promise<void>;

interface PendingUpdate {
  mutate: StateMutation;
  resolve: (state: StateFile) => void;
  reject: (error: unknown) => void;
}

/** Why one update failed (boxed: anything can be thrown, `undefined` included). */
type Failure = { error: unknown } | undefined;

/** Outcome of one lock cycle: the state written (if any) and, per update, its failure (if any). */
interface CycleResult {
  written: StateFile | undefined;
  failures: Failure[];
}

/** Per path and lock options, the updates of this process waiting for the next lock cycle. */
const waiting = new Map<string, PendingUpdate[]>();

/**
 * Changes the state file under the cross-process lock: lock → read (it must exist and be this user's)
 * → `mutate(state)` in place → validate against the schema → atomic write (temp file, fsync, rename,
 * fsync of the directory) → unlock. Readers never see a partial file. When the lock had to be taken
 * over from a dead holder, the temp files its writes left behind are removed first.
 *
 * Updates of this process that wait for the lock at the same time share one lock cycle (one read, one
 * validation, one write), applied in call order. If one of them throws or leaves an invalid state, the
 * others are re-applied one at a time on fresh copies, so `mutate` must only change the state it is
 * given: it may be called twice. Nothing is written when the state is unchanged.
 *
 * @param mutate Changes the state in place; may be async. Its return value is ignored. If it throws,
 *   its change is dropped and the error propagates to this call only.
 * @returns The state as written, deeply frozen: it is shared by the updates of the same cycle.
 * @throws `StateFileError` `missing`, `foreign`, `corrupt` or `version`, as `readState` does.
 * @throws `TypeError` when the mutated state does not fit the schema (this update is not written).
 * @throws The lock's errors, see {@link withStateLock}, and the underlying `fs` error.
 */
export function updateState(path: string, mutate: StateMutation, options: StateLockOptions = {}): Promise<StateFile> {
  const key = `${resolve(path)}\0${options.staleMs ?? ''}\0${options.timeoutMs ?? ''}`;
  return new Promise<StateFile>((resolveUpdate, rejectUpdate) => {
    const update: PendingUpdate = { mutate, resolve: resolveUpdate, reject: rejectUpdate };
    const open = waiting.get(key);
    if (open) {
      open.push(update);
      return;
    }
    const batch = [update];
    waiting.set(key, batch);
    const closeBatch = (): void => {
      if (waiting.get(key) === batch) waiting.delete(key);
    };
    withStateLock(
      path,
      (lock) => {
        // From here on, new updates start the next cycle.
        closeBatch();
        return runCycle(path, batch, lock);
      },
      options,
    ).then(
      ({ written, failures }) =>
        batch.forEach((pending, index) => {
          const failure = failures[index];
          if (failure) pending.reject(failure.error);
          else if (written) pending.resolve(written);
        }),
      (error: unknown) => {
        closeBatch();
        for (const pending of batch) pending.reject(error);
      },
    );
  });
}

async function runCycle(path: string, batch: readonly PendingUpdate[], lock: HeldStateLock): Promise<CycleResult> {
  if (lock.reclaimedStale) await removeAtomicWriteLeftovers(path);
  const text = await readStateText(path);
  const { state, failures } = await applyUpdates(text, path, batch);
  if (state === undefined) return { written: undefined, failures };
  const serialized = serializeState(state);
  if (serialized !== text) {
    lock.signal.throwIfAborted();
    await writeFileAtomic(path, serialized);
  }
  return { written: deepFreeze(state), failures };
}

/** Applies the updates to the state in `text`; `state` is undefined when none of them succeeded. */
async function applyUpdates(
  text: string,
  path: string,
  batch: readonly PendingUpdate[],
): Promise<{ state: StateFile | undefined; failures: Failure[] }> {
  // Fast path: every update on one copy, validated once.
  const draft = parseStateJson(text, path) as StateFile;
  let failure: Failure;
  try {
    for (const { mutate } of batch) await mutate(draft);
    const parsed = stateFileSchema.safeParse(draft);
    if (parsed.success) return { state: parsed.data, failures: batch.map(() => undefined) };
    failure = { error: invalidMutation(path, parsed.error) };
  } catch (error) {
    failure = { error };
  }

  // Something failed. A corrupt file fails every update; otherwise find which update failed.
  let current = validateState(parseStateJson(text, path), path);
  if (batch.length === 1) return { state: undefined, failures: [failure] };
  const failures: Failure[] = [];
  let changed = false;
  for (const { mutate } of batch) {
    const copy = structuredClone(current);
    try {
      await mutate(copy);
    } catch (error) {
      failures.push({ error });
      continue;
    }
    const parsed = stateFileSchema.safeParse(copy);
    if (!parsed.success) {
      failures.push({ error: invalidMutation(path, parsed.error) });
      continue;
    }
    current = parsed.data;
    changed = true;
    failures.push(undefined);
  }
  return { state: changed ? current : undefined, failures };
}

function invalidMutation(path: string, error: Parameters<typeof formatSchemaIssues>[0]): TypeError {
  return new TypeError(`updateState: the mutated state of ${path} does not fit the schema, nothing was written for this update: ${formatSchemaIssues(error)}`);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
