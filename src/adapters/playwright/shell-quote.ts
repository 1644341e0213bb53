/**
 * Quotes argv for a POSIX shell (Playwright runs `webServer.command` with `shell: true`): every argument
 * single-quoted, a `'` inside written as `'\''`. Arguments made of safe characters only stay bare, so the
 * command stays readable in Playwright's output.
 */
export function quoteForShell(argv: readonly string[]): string {
  return argv.map((arg) => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`)).join(' ');
}
