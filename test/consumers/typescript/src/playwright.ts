// The Playwright adapter (dist/playwright.d.ts): resolves and type-checks. Its owner adds real usage here.
import * as playwright from 'ephemeral-servers/playwright';

export type PlaywrightApi = typeof playwright;
// @ts-expect-error: the subpath has no such export (proves its declarations resolve, not `any`)
export const missing = playwright.noSuchExport;
