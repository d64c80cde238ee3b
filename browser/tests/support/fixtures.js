// The `test` every spec uses: Playwright's, plus a watch on the page that
// fails a test on any console error, uncaught page error or Content
// Security Policy violation.

import { test as base, expect } from '@playwright/test';

export { expect };

// Chromium logs a failed load of the page itself as a console error; a
// test that expects such a status (a 404 for a dead link, a 401 for a
// wrong password) says so with `issues.allowStatus(…)`.
const FAILED_LOAD = /^Failed to load resource: the server responded with a status of (\d+)/;

export const test = base.extend({
  issues: [
    async ({ page }, use) => {
      const seen = [];
      const allowed = new Set();
      page.on('console', (msg) => {
        if (msg.type() === 'error') seen.push(msg.text());
      });
      page.on('pageerror', (err) => seen.push(`uncaught: ${err.message}`));
      // Reported from inside the page as well, in case Chromium's own
      // console message about the violation ever changes shape.
      await page.addInitScript(() => {
        document.addEventListener('securitypolicyviolation', (e) =>
          console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`),
        );
      });
      const issues = {
        allowStatus: (...statuses) => statuses.forEach((s) => allowed.add(s)),
        /// What was seen and not allowed so far; forgets it.
        take: () => seen.splice(0).filter((m) => {
          const failed = FAILED_LOAD.exec(m);
          return !(failed && allowed.has(Number(failed[1])));
        }),
      };
      await use(issues);
      expect(issues.take(), 'console errors, page errors or CSP violations').toEqual([]);
    },
    { auto: true },
  ],
});
