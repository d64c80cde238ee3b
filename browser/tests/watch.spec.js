// The watch every test runs under (support/fixtures.js) must itself be able
// to fail: a resource the page's Content Security Policy forbids is caught.

import { test, expect } from './support/fixtures.js';

test('the watch reports a resource blocked by the Content Security Policy', async ({ page, issues }) => {
  issues.allowStatus(404);
  await page.goto('/t/default/invite/usher_inv_nosuchlink');
  await page.evaluate(() => {
    const img = document.createElement('img');
    img.src = '/blocked-by-csp.png';
    document.body.append(img);
  });
  await expect.poll(() => issues.take().join('\n')).toContain('CSP violation: img-src');
});

test('the watch reports an error an unexpected status logs', async ({ page, issues }) => {
  await page.goto('/t/default/invite/usher_inv_nosuchlink');
  expect(issues.take().join('\n')).toMatch(/status of 404/);
});
