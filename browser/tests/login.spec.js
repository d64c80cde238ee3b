// The login page at /t/{tenant}/login: the form, the answers to wrong and
// right passwords, blocked users and the throttle.

import { test, expect } from './support/fixtures.js';
import { expectSignedIn, sessionCookie, submitLogin } from './support/pages.js';
import { BASE, newEmail, newPassword, newTenant, ok, userWithPassword } from './support/usher.js';

let tenant;
test.beforeAll(async () => {
  tenant = await newTenant();
});

test('the login form has labelled fields that password managers understand', async ({ page }) => {
  const res = await page.goto(`/t/${tenant}/login`);
  expect(res.status()).toBe(200);
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  const email = page.locator('input#email');
  await expect(email).toHaveAttribute('name', 'email');
  await expect(email).toHaveAttribute('type', 'email');
  await expect(email).toHaveAttribute('autocomplete', 'username');
  await expect(email).toHaveAccessibleName(/\S/);
  const password = page.locator('input#password');
  await expect(password).toHaveAttribute('name', 'password');
  await expect(password).toHaveAttribute('type', 'password');
  await expect(password).toHaveAttribute('autocomplete', 'current-password');
  await expect(password).toHaveAccessibleName(/\S/);
  const form = page.locator('form:has(#password)');
  await expect(form.locator('input[type=hidden][name=csrf]')).toHaveValue(/\S/);
  await expect(form.getByRole('button')).toBeVisible();
  // The label of each field is its own.
  expect(await email.evaluate((el) => el.labels.length)).toBeGreaterThan(0);
  expect(await password.evaluate((el) => el.labels.length)).toBeGreaterThan(0);
});

test('a wrong password and an unknown email get the same 401 page and alert', async ({ page, context, issues }) => {
  const email = newEmail('login');
  await userWithPassword(tenant, { email, password: newPassword() });
  issues.allowStatus(401);

  const wrong = await submitLogin(page, tenant, email, newPassword());
  expect(wrong.status()).toBe(401);
  const wrongAlert = (await page.getByRole('alert').textContent()).trim();
  await expect(page.locator('#password')).toBeVisible();

  const unknown = await submitLogin(page, tenant, newEmail('nobody'), newPassword());
  expect(unknown.status()).toBe(401);
  const unknownAlert = (await page.getByRole('alert').textContent()).trim();

  expect(wrongAlert).not.toBe('');
  expect(unknownAlert).toBe(wrongAlert);
  expect(await sessionCookie(context, tenant)).toBeUndefined();
});

test('the right password answers 303 to the sessions page with a strict HttpOnly cookie', async ({ page, context }) => {
  const email = newEmail('login');
  const password = newPassword();
  const user = await userWithPassword(tenant, { email, password });
  const res = await submitLogin(page, tenant, email, password);
  await expectSignedIn(page, context, tenant, res);
  // A real session, as an admin sees it.
  const sessions = await ok(200, 'GET', `/api/v1/tenants/${tenant}/users/${user.id}/sessions`);
  expect(sessions.total).toBe(1);
  expect(await page.evaluate(() => document.cookie)).not.toContain('usher_session');
});

test('a blocked user with the right password gets a 403 page saying the account is blocked', async ({ page, context, issues }) => {
  const email = newEmail('blocked');
  const password = newPassword();
  const user = await userWithPassword(tenant, { email, password });
  await ok(200, 'POST', `/api/v1/tenants/${tenant}/users/${user.id}/block`);
  issues.allowStatus(403);
  const res = await submitLogin(page, tenant, email, password);
  expect(res.status()).toBe(403);
  await expect(page.locator('body')).toContainText(/blocked/i);
  expect(await sessionCookie(context, tenant)).toBeUndefined();
});

test('after five failures in a row the next attempts get a 429 page', async ({ page, context, issues }) => {
  const email = newEmail('throttled');
  const password = newPassword();
  await userWithPassword(tenant, { email, password });
  issues.allowStatus(401, 429);
  const statuses = [];
  for (let i = 0; i < 10 && !statuses.includes(429); i++) {
    statuses.push((await submitLogin(page, tenant, email, newPassword())).status());
  }
  // Five free failures, then a delay that starts at a second and doubles.
  expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
  expect(statuses).toContain(429);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  expect(await sessionCookie(context, tenant)).toBeUndefined();
});

test('a login posted from another site signs nobody in', async ({ page, context, issues }) => {
  const email = newEmail('forged');
  const password = newPassword();
  await userWithPassword(tenant, { email, password });
  // The worst case: the attacker knows the credentials (their own, to log the
  // victim into their account) and even the victim's form token. The
  // victim's browser still sends no Strict cookie with a cross-site POST.
  expect((await page.goto(`/t/${tenant}/login`)).status()).toBe(200);
  const csrf = await page.locator('input[name=csrf]').inputValue();
  await page.route('http://attacker.test/**', (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!DOCTYPE html><html lang="en"><title>x</title><body>
        <form id="f" method="post" action="${BASE}/t/${tenant}/login">
          <input name="csrf" value="${csrf}"><input name="email" value="${email}">
          <input name="password" value="${password}">
        </form><script>document.getElementById('f').submit()</script></body></html>`,
    }),
  );
  issues.allowStatus(400, 401, 403);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().startsWith(BASE) && r.request().method() === 'POST'),
    page.goto('http://attacker.test/'),
  ]);
  expect(res.request().headers().cookie ?? '').not.toContain('usher_csrf');
  expect(res.status()).toBeGreaterThanOrEqual(400);
  expect(res.status()).toBeLessThan(500);
  expect(await sessionCookie(context, tenant)).toBeUndefined();
});
