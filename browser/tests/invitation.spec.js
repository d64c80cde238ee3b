// Accepting an invitation at /t/{tenant}/invite/{token}, with the link
// taken from the mail the SMTP server received.

import { test, expect } from './support/fixtures.js';
import { posting } from './support/pages.js';
import {
  BASE, apiLogin, createUser, getUser, mailedLink, newEmail, newPassword, newTenant, pathOf,
} from './support/usher.js';

let tenant;
test.beforeAll(async () => {
  tenant = await newTenant();
});

/// A new invited user and the path of the link mailed to them.
async function invited(fields = {}) {
  const email = newEmail('invited');
  const user = await createUser(tenant, { email, send_invitation: true, ...fields });
  expect(user.state).toBe('pending_invitation');
  const link = await mailedLink(email, '/invite/');
  expect(link.startsWith(`${BASE}/t/${tenant}/invite/`)).toBe(true);
  return { email, user, path: pathOf(link) };
}

test('the invitation form is labelled and tells password managers what each field is', async ({ page }) => {
  const { email, path } = await invited();
  const res = await page.goto(path);
  expect(res.status()).toBe(200);
  await expect(page.locator('html')).toHaveAttribute('lang', 'en');
  await expect(page.getByRole('heading', { level: 1, name: 'Set your password' })).toBeVisible();
  await expect(page.getByText(email)).toBeVisible();

  const password = page.getByLabel('New password', { exact: true });
  await expect(password).toHaveAttribute('id', 'password');
  await expect(password).toHaveAttribute('type', 'password');
  await expect(password).toHaveAttribute('autocomplete', 'new-password');
  await expect(password).toHaveAccessibleDescription(/At least 8 characters/);
  const confirm = page.getByLabel('Repeat the new password');
  await expect(confirm).toHaveAttribute('type', 'password');
  await expect(confirm).toHaveAttribute('autocomplete', 'new-password');
  // The account name rides along for password managers, unseen.
  const username = page.locator('input[autocomplete="username"]');
  await expect(username).toHaveValue(email);
  await expect(username).toBeHidden();
  await expect(page.locator('input[type=hidden][name=csrf]')).toHaveValue(/^[A-Za-z0-9_-]{43}$/);
  await expect(page.getByRole('button', { name: 'Complete signup' })).toBeVisible();
  // Keyboard users reach the fields in order.
  await password.focus();
  await page.keyboard.press('Tab');
  await expect(confirm).toBeFocused();
});

test('the CSRF cookie is HttpOnly and SameSite=Strict and the page forbids scripts and framing', async ({ page, context }) => {
  const { path } = await invited();
  const res = await page.goto(path);
  const csp = res.headers()['content-security-policy'];
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("form-action 'self'");
  const cookies = await context.cookies(page.url());
  const csrf = cookies.find((c) => c.name === 'usher_csrf');
  expect(csrf, 'a usher_csrf cookie').toBeTruthy();
  expect(csrf.httpOnly).toBe(true);
  expect(csrf.sameSite).toBe('Strict');
  expect(csrf.value).toBe(await page.locator('input[name=csrf]').inputValue());
  // Scripts in the page cannot read it.
  expect(await page.evaluate(() => document.cookie)).not.toContain('usher_csrf');
});

test('different passwords are refused with an alert tied to the field', async ({ page, issues }) => {
  const { user, path } = await invited();
  await page.goto(path);
  await page.getByLabel('New password', { exact: true }).fill(newPassword());
  await page.getByLabel('Repeat the new password').fill(newPassword());
  const res = await posting(page, path, () => page.getByRole('button', { name: 'Complete signup' }).click());
  issues.allowStatus(422);
  expect(res.status()).toBe(422);
  const alert = page.getByRole('alert');
  await expect(alert).toHaveText('The two passwords are not the same.');
  const password = page.getByLabel('New password', { exact: true });
  await expect(password).toHaveAttribute('aria-invalid', 'true');
  await expect(password).toHaveAccessibleDescription(/The two passwords are not the same\./);
  expect((await getUser(tenant, user.id)).state).toBe('pending_invitation');
});

test('a too-short password is stopped by the browser, and by the server when the browser does not check', async ({ page, issues }) => {
  const { user, path } = await invited();
  await page.goto(path);
  const password = page.getByLabel('New password', { exact: true });
  const confirm = page.getByLabel('Repeat the new password');
  await password.fill('short');
  await confirm.fill('short');
  let posted = false;
  page.on('request', (r) => { if (r.method() === 'POST') posted = true; });
  await page.getByRole('button', { name: 'Complete signup' }).click();
  expect(await password.evaluate((el) => el.validity.tooShort)).toBe(true);
  expect(posted, 'the browser submitted a password shorter than minlength').toBe(false);

  // A browser without constraint validation: the server says the same.
  await page.locator('form').evaluate((form) => { form.noValidate = true; });
  const res = await posting(page, path, () => page.getByRole('button', { name: 'Complete signup' }).click());
  issues.allowStatus(422);
  expect(res.status()).toBe(422);
  await expect(page.getByRole('alert')).toHaveText('The password is too short: use at least 8 characters.');
  await expect(page.getByLabel('New password', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  expect((await getUser(tenant, user.id)).state).toBe('pending_invitation');
});

test('a good password activates the account, the link dies, and the password logs in', async ({ page, issues }) => {
  const { email, user, path } = await invited();
  const chosen = newPassword();
  await page.goto(path);
  await page.getByLabel('New password', { exact: true }).fill(chosen);
  await page.getByLabel('Repeat the new password').fill(chosen);
  await page.getByRole('button', { name: 'Complete signup' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Done' })).toBeVisible();
  await expect(page.getByRole('status')).toHaveText(/Your account is ready/);
  expect((await getUser(tenant, user.id)).state).toBe('active');

  // Second visit: the neutral page, 404, identical to a link that never existed.
  issues.allowStatus(404);
  const again = await page.goto(path);
  expect(again.status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1, name: 'This link cannot be used' })).toBeVisible();
  await expect(page.locator('form')).toHaveCount(0);
  const dead = await page.content();
  const unknown = await page.goto(`/t/${tenant}/invite/usher_inv_thisneverexisted`);
  expect(unknown.status()).toBe(404);
  expect(await page.content()).toBe(dead);

  const login = await apiLogin(tenant, email, chosen);
  expect(login.status).toBe(200);
  expect(login.body.session_token).toBeTruthy();
  expect((await apiLogin(tenant, email, `${chosen}x`)).status).toBe(401);
});

test('a forged cross-site POST carries no cookie and is refused', async ({ page, issues }) => {
  const { email, user, path } = await invited();
  await page.goto(path);
  // Even an attacker who somehow learnt the form's token lacks the cookie.
  const csrf = await page.locator('input[name=csrf]').inputValue();
  const chosen = newPassword();
  await page.route('http://attacker.test/**', (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<!DOCTYPE html><html lang="en"><title>x</title><body>
        <form id="f" method="post" action="${BASE}${path}">
          <input name="csrf" value="${csrf}">
          <input name="password" value="${chosen}">
          <input name="password_confirmation" value="${chosen}">
        </form>
        <script>document.getElementById('f').submit()</script></body></html>`,
    }),
  );
  issues.allowStatus(403);
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().startsWith(BASE) && r.request().method() === 'POST'),
    page.goto('http://attacker.test/'),
  ]);
  expect(res.request().headers().cookie ?? '').not.toContain('usher_csrf');
  expect(res.status()).toBe(403);
  await expect(page.getByRole('alert')).toHaveText('The form expired. Please enter your password again.');
  expect((await getUser(tenant, user.id)).state).toBe('pending_invitation');
  expect((await apiLogin(tenant, email, chosen)).status).toBe(401);
});

test('a form posted without the cookie at all is refused', async ({ page, issues, context }) => {
  const { user, path } = await invited();
  await page.goto(path);
  await context.clearCookies();
  const chosen = newPassword();
  await page.getByLabel('New password', { exact: true }).fill(chosen);
  await page.getByLabel('Repeat the new password').fill(chosen);
  const res = await posting(page, path, () => page.getByRole('button', { name: 'Complete signup' }).click());
  issues.allowStatus(403);
  expect(res.status()).toBe(403);
  await expect(page.getByRole('alert')).toBeVisible();
  expect((await getUser(tenant, user.id)).state).toBe('pending_invitation');
});
