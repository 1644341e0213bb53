import { test } from './fixtures';

test('sees the run, its slot and the webServer', async ({ visit }) => {
  await visit(__filename);
});
