// "Forgot your password?": from the login page to a new password, with the
// link taken from the mail the SMTP server received.

import { test, expect } from './support/fixtures.js';
import {
  apiLogin, mailedLink, newEmail, newPassword, newTenant, pathOf, userWithPassword,
} from './support/usher.js';

let tenant;
test.beforeAll(async () => {
  tenant = await newTenant();
});

test('the login page links to a labelled form that says the same for any address', async ({ page }) => {
  await page.goto(`/t/${tenant}/login`);
  await page.getByRole('link', { name: 'Forgot your password?' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Reset your password' })).toBeVisible();
  const email = page.getByLabel('Email');
  await expect(email).toHaveAttribute('type', 'email');
  await expect(email).toHaveAttribute('autocomplete', 'username');
  await email.fill(newEmail('nobody'));
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Check your email' })).toBeVisible();
});

test('a user who forgot their password sets a new one from the mailed link', async ({ page }) => {
  const email = newEmail('forgot');
  const old = newPassword();
  await userWithPassword(tenant, { email, password: old });
  await page.goto(`/t/${tenant}/forgot`);
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Check your email' })).toBeVisible();

  const link = await mailedLink(email, '/reset/');
  const chosen = newPassword();
  await page.goto(pathOf(link));
  await page.getByLabel('New password', { exact: true }).fill(chosen);
  await page.getByLabel('Repeat the new password').fill(chosen);
  await page.getByRole('button', { name: 'Save the new password' }).click();
  await expect(page.getByRole('status')).toHaveText('Your password has been changed. Use the new one from now on.');
  expect((await apiLogin(tenant, email, chosen)).status).toBe(200);
  expect((await apiLogin(tenant, email, old)).status).toBe(401);
});
