// Marks the moment the test body runs (servers are ready by then), then idles for BENCH_PW_HOLD_MS.
import { writeFileSync } from 'node:fs';
import { test } from '@playwright/test';

test('no page', async () => {
  if (process.env.BENCH_PW_MARK)
    writeFileSync(process.env.BENCH_PW_MARK, String(performance.timeOrigin + performance.now()));
  const holdMs = Number(process.env.BENCH_PW_HOLD_MS ?? 0);
  if (holdMs > 0) await new Promise((resolve) => setTimeout(resolve, holdMs));
});
