// Resetting a password at /t/{tenant}/reset/{token}, with the link taken
// from the mail the SMTP server received.

import { test, expect } from './support/fixtures.js';
import {
  BASE, apiLogin, mailedLink, newEmail, newPassword, newTenant, ok, pathOf, userWithPassword,
} from './support/usher.js';

let tenant;
test.beforeAll(async () => {
  tenant = await newTenant();
});

/// An active user with a password, sent a reset link: the path of that link.
async function resetRequested() {
  const email = newEmail('reset');
  const old = newPassword();
  const user = await userWithPassword(tenant, { email, password: old });
  await ok(200, 'POST', `/api/v1/tenants/${tenant}/users/${user.id}/password-reset`);
  const link = await mailedLink(email, '/reset/');
  expect(link.startsWith(`${BASE}/t/${tenant}/reset/`)).toBe(true);
  return { email, old, user, path: pathOf(link) };
}

test('the reset form is labelled, with new-password fields and a hidden username', async ({ page }) => {
  const { email, path } = await resetRequested();
  expect((await page.goto(path)).status()).toBe(200);
  await expect(page.getByRole('heading', { level: 1, name: 'Choose a new password' })).toBeVisible();
  const password = page.getByLabel('New password', { exact: true });
  await expect(password).toHaveAttribute('autocomplete', 'new-password');
  await expect(password).toHaveAttribute('required', '');
  await expect(page.getByLabel('Repeat the new password')).toHaveAttribute('autocomplete', 'new-password');
  await expect(page.locator('input[autocomplete="username"]')).toHaveValue(email);
  await expect(page.getByRole('button', { name: 'Save the new password' })).toBeVisible();
});

test('a mismatch shows an alert and keeps the old password', async ({ page, issues }) => {
  const { email, old, path } = await resetRequested();
  await page.goto(path);
  await page.getByLabel('New password', { exact: true }).fill(newPassword());
  await page.getByLabel('Repeat the new password').fill(newPassword());
  issues.allowStatus(422);
  await page.getByRole('button', { name: 'Save the new password' }).click();
  await expect(page.getByRole('alert')).toHaveText('The two passwords are not the same.');
  await expect(page.getByLabel('New password', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  expect((await apiLogin(tenant, email, old)).status).toBe(200);
});

test('the new password replaces the old one and the link works once', async ({ page, issues }) => {
  const { email, old, path } = await resetRequested();
  const chosen = newPassword();
  await page.goto(path);
  await page.getByLabel('New password', { exact: true }).fill(chosen);
  await page.getByLabel('Repeat the new password').fill(chosen);
  await page.getByRole('button', { name: 'Save the new password' }).click();
  await expect(page.getByRole('status')).toHaveText('Your password has been changed. Use the new one from now on.');

  issues.allowStatus(404);
  expect((await page.goto(path)).status()).toBe(404);
  await expect(page.getByRole('heading', { level: 1, name: 'This link cannot be used' })).toBeVisible();

  expect((await apiLogin(tenant, email, chosen)).status).toBe(200);
  expect((await apiLogin(tenant, email, old)).status).toBe(401);
});
