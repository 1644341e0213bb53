/**
 * Stops items in reverse dependency order: each one once every item that depends on it has stopped;
 * independent ones in parallel. Dependencies on keys that are not among `items` are ignored. A failed
 * stop does not hold back the others: every error is collected and returned.
 *
 * @param key identity of an item, as `dependsOn` names it.
 * @param dependsOn keys of the items this one depends on.
 * @returns the errors thrown by `stop`, in the order they happened (empty when all stopped).
 */
export async function stopInReverseOrder<T>(
  items: readonly T[],
  key: (item: T) => string,
  dependsOn: (item: T) => readonly string[],
  stop: (item: T) => Promise<void>,
): Promise<unknown[]> {
  const errors: unknown[] = [];
  const stopping = new Map<string, Promise<void>>();
  const stopOne = (item: T): Promise<void> => {
    const itemKey = key(item);
    let promise = stopping.get(itemKey);
    if (promise === undefined) {
      const dependents = items.filter((other) => dependsOn(other).includes(itemKey));
      promise = Promise.all(dependents.map(stopOne)).then(() =>
        stop(item).catch((error: unknown) => {
          errors.push(error);
        }),
      );
      stopping.set(itemKey, promise);
    }
    return promise;
  };
  await Promise.all(items.map(stopOne));
  return errors;
}
