import { expect, test } from '@playwright/test';

test('a page from the Vite dev server fetches the API server', async ({ page }) => {
  await page.goto('/');
  // main.js went through Vite's module pipeline.
  await expect(page.locator('#app')).toHaveText('hello from vite (module loaded)');
  const answer = await page.evaluate(
    async (url) => (await fetch(`${url}/hello`)).json(),
    process.env.ES_BROWSER_API_URL!,
  );
  expect(answer).toMatchObject({ hello: 'from the api', path: '/hello' });
});
