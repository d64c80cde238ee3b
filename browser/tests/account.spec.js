// The account page: a signed-in user sets up an authenticator app, makes
// recovery codes and changes their password, the way a person does.

import { test, expect } from './support/fixtures.js';
import { posting, submitLogin } from './support/pages.js';
import { Authenticator } from './support/totp.js';
import { apiLogin, newEmail, newPassword, newTenant, userWithPassword } from './support/usher.js';

let tenant;
test.beforeAll(async () => {
  tenant = await newTenant();
});

test('a user sets up an app, makes recovery codes and changes their password', async ({ page }) => {
  const email = newEmail('account');
  const password = newPassword();
  await userWithPassword(tenant, { email, password });
  await submitLogin(page, tenant, email, password);
  await page.getByRole('link', { name: 'Your account' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  await expect(page.getByText('No authenticator app is set up yet.', { exact: false })).toBeVisible();

  await page.locator('#app_password').fill(password);
  await posting(page, `/t/${tenant}/account/totp`, () =>
    page.getByRole('button', { name: 'Set up an authenticator app' }).click());
  await expect(page.getByRole('heading', { level: 1, name: 'Set up your authenticator app' })).toBeVisible();
  await expect(page.getByRole('img')).toBeVisible();
  const app = new Authenticator(await page.locator('#totp-key').innerText());
  await page.getByLabel('Code from the app').fill(await app.nextCode());
  await posting(page, `/t/${tenant}/account/totp/confirm`, () =>
    page.getByRole('button', { name: 'Confirm' }).click());
  await expect(page.getByRole('status')).toHaveText('Your authenticator app is set up.');

  await page.locator('#codes_password').fill(password);
  await posting(page, `/t/${tenant}/account/recovery-codes`, () =>
    page.getByRole('button', { name: 'Make new recovery codes' }).click());
  await expect(page.locator('#recovery-codes li')).toHaveCount(10);
  await page.getByRole('link', { name: 'Back to your account' }).click();

  const chosen = newPassword();
  await page.getByLabel('Current password').fill(password);
  await page.getByLabel('New password', { exact: true }).fill(chosen);
  await page.getByLabel('Repeat the new password').fill(chosen);
  await posting(page, `/t/${tenant}/account/password`, () =>
    page.getByRole('button', { name: 'Change the password' }).click());
  await expect(page.getByRole('status')).toHaveText('Your password has been changed. Your other sessions were signed out.');
  expect((await apiLogin(tenant, email, password)).status).toBe(401);
});
