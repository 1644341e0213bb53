import { describe, expect, it } from 'vitest';
import { detectWorkerSlot } from '../../src/state/index.js';

describe('detectWorkerSlot', () => {
  it('reads VITEST_POOL_ID, then JEST_WORKER_ID, both 1-based', () => {
    expect(detectWorkerSlot({ VITEST_POOL_ID: '3', JEST_WORKER_ID: '5' })).toBe(3);
    expect(detectWorkerSlot({ JEST_WORKER_ID: '5', TEST_PARALLEL_INDEX: '0' })).toBe(5);
  });

  it("shifts Playwright's 0-based TEST_PARALLEL_INDEX by one", () => {
    expect(detectWorkerSlot({ TEST_PARALLEL_INDEX: '0' })).toBe(1);
    expect(detectWorkerSlot({ TEST_PARALLEL_INDEX: '7' })).toBe(8);
  });

  it('is undefined outside a worker, empty values counting as unset', () => {
    expect(detectWorkerSlot({})).toBeUndefined();
    expect(detectWorkerSlot({ VITEST_POOL_ID: '', JEST_WORKER_ID: '' })).toBeUndefined();
    expect(detectWorkerSlot({ VITEST_POOL_ID: '', JEST_WORKER_ID: '2' })).toBe(2);
  });

  it('rejects values that are not slots, naming the variable', () => {
    expect(() => detectWorkerSlot({ VITEST_POOL_ID: 'abc' })).toThrow(RangeError);
    expect(() => detectWorkerSlot({ VITEST_POOL_ID: 'abc' })).toThrow(/`VITEST_POOL_ID`.*"abc"/);
    expect(() => detectWorkerSlot({ JEST_WORKER_ID: '0' })).toThrow(
      /`JEST_WORKER_ID` must be an integer of at least 1/,
    );
    expect(() => detectWorkerSlot({ TEST_PARALLEL_INDEX: '-1' })).toThrow(RangeError);
  });

  it('defaults to process.env', () => {
    // Vitest sets VITEST_POOL_ID in its workers.
    expect(detectWorkerSlot()).toBe(Number(process.env.VITEST_POOL_ID));
  });
});
