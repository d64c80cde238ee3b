// The admin console in a browser: signing in with a second factor
// (enrolled at the first admin sign-in), the users list with its search
// and filters, a scoped admin who sees only the scope, signing out; every
// page checked by axe for accessibility violations.

import AxeBuilder from '@axe-core/playwright';
import { test, expect } from './support/fixtures.js';
import { posting } from './support/pages.js';
import { Authenticator } from './support/totp.js';
import { createUser, newEmail, newPassword, newTenant, ok, userWithPassword } from './support/usher.js';

/// That axe finds no violation on the page as it stands.
async function expectAccessible(page, what) {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const found = violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`);
  expect(found, `accessibility of ${what}`).toEqual([]);
}

/// With USHER_SCREENSHOTS set to a folder, keeps a picture of the page
/// there (how docs/console/*.png are made); otherwise does nothing.
async function shot(page, name) {
  const dir = process.env.USHER_SCREENSHOTS;
  if (dir) await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
}

/// A person of `tenant` holding the admin role `role` (under `scope`).
async function admin(tenant, role, scope = null) {
  const email = newEmail('admin');
  const password = newPassword();
  const user = await userWithPassword(tenant, { email, password });
  await ok(204, 'PUT', `/api/v1/tenants/${tenant}/users/${user.id}/admin-roles/${role}`, { body: { scope } });
  return { email, password, user };
}

/// Signs in through the console's forms, enrolling an authenticator app on
/// the way; answers the response to the code's POST.
async function signIn(page, tenant, { email, password }) {
  const shown = await page.goto(`/console/${tenant}/login`);
  expect(shown.status()).toBe(200);
  await expectAccessible(page, 'the sign-in page');
  await shot(page, 'sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await posting(page, `/console/${tenant}/login`, () => page.getByRole('button', { name: 'Sign in' }).click());
  await expect(page.locator('#qr svg')).toBeVisible();
  await expectAccessible(page, 'the enrolment step');
  const secret = (await page.locator('#totp-secret').textContent()).trim();
  const app = new Authenticator(secret);
  await page.locator('#code').fill(await app.nextCode());
  return posting(page, `/console/${tenant}/login/mfa`, () =>
    page.locator('form:has(#code)').getByRole('button').click(),
  );
}

test('an admin signs in with a second factor, searches the users and signs out', async ({ page, context }) => {
  const tenant = await newTenant();
  const who = await admin(tenant, 'user_admin');
  for (const first of ['Grace', 'Alan', 'Ada']) {
    await createUser(tenant, { email: newEmail(first.toLowerCase()), first_name: first, send_invitation: false });
  }
  const res = await signIn(page, tenant, who);
  expect(res.status()).toBe(303);
  await expect(page).toHaveURL(new RegExp(`/console/${tenant}/users$`));
  const cookie = (await context.cookies(page.url())).find((c) => c.name === 'usher_console');
  expect(cookie, 'the console session cookie').toBeTruthy();
  expect([cookie.httpOnly, cookie.sameSite, cookie.path]).toEqual([true, 'Strict', `/console/${tenant}/`]);

  await expect(page.getByRole('status')).toHaveText('4 users');
  await expect(page.getByRole('row')).toHaveCount(5);
  await expectAccessible(page, 'the users list');
  await shot(page, 'users');

  await page.getByLabel('Search', { exact: true }).fill('grace');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('status')).toHaveText('1 user');
  await expect(page.getByRole('cell', { name: 'Grace', exact: true })).toBeVisible();

  // The admin is the one active user (the others were never invited).
  await page.getByLabel('Status').selectOption('active');
  await page.getByLabel('Search', { exact: true }).fill('');
  await page.getByRole('button', { name: 'Apply' }).click();
  await expect(page.getByRole('status')).toHaveText('1 user');
  await expect(page.getByRole('cell', { name: who.email, exact: true })).toBeVisible();

  await posting(page, `/console/${tenant}/logout`, () => page.getByRole('button', { name: 'Sign out' }).click());
  await expect(page).toHaveURL(new RegExp(`/console/${tenant}/login$`));
  const after = await page.goto(`/console/${tenant}/users`);
  expect(new URL(after.url()).pathname).toBe(`/console/${tenant}/login`);
});

test('an admin opens a user, reads the tabs, and blocks them after a confirmation that names the consequence', async ({ page }) => {
  const tenant = await newTenant();
  const who = await admin(tenant, 'user_admin');
  const email = newEmail('grace');
  await createUser(tenant, { email, first_name: 'Grace', last_name: 'Hopper', activate: true });
  expect((await signIn(page, tenant, who)).status()).toBe(303);

  await page.getByRole('link', { name: email }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Grace Hopper');
  await expectAccessible(page, 'a user’s profile');
  await shot(page, 'user-profile');
  await page.getByRole('link', { name: 'Sessions', exact: true }).click();
  await expect(page.getByText('The user is not signed in anywhere.')).toBeVisible();
  await expectAccessible(page, 'a user’s sessions');

  await page.getByRole('link', { name: 'Block', exact: true }).click();
  await expect(page.locator('#consequence')).toContainText('stay alive');
  await expectAccessible(page, 'the confirmation of a block');
  await shot(page, 'confirm-block');
  await posting(page, new URL(page.url()).pathname, () => page.getByRole('button', { name: 'Block', exact: true }).click());
  await expect(page.getByRole('status')).toHaveText('Done.');
  await expect(page.locator('.badge')).toHaveText('Blocked');
  await expect(page.getByRole('link', { name: 'Unblock', exact: true })).toBeVisible();
});

test('a tenant admin changes a setting, reads the audit log, and makes an API token shown once', async ({ page }) => {
  const tenant = await newTenant();
  const who = await admin(tenant, 'tenant_admin');
  expect((await signIn(page, tenant, who)).status()).toBe(303);

  await page.getByRole('link', { name: 'Settings' }).click();
  await expectAccessible(page, 'the tenant settings');
  await shot(page, 'settings');
  await page.getByLabel('Shortest search (characters)').fill('3');
  await posting(page, `/console/${tenant}/settings`, () => page.getByRole('button', { name: 'Save' }).click());
  await expect(page.getByRole('status')).toHaveText('Saved.');
  const settings = await ok(200, 'GET', `/api/v1/tenants/${tenant}/settings`);
  expect(settings.min_search_length).toBe(3);

  for (const tab of ['Roles', 'Administrators', 'Custom attributes']) {
    await page.getByRole('link', { name: tab, exact: true }).click();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(tab);
    await expectAccessible(page, `the ${tab} settings`);
  }
  await page.getByLabel('Name (letters, digits, _)').fill('cost_center');
  await page.getByLabel('Label').fill('Cost centre');
  await page.getByLabel('Pattern a whole value must match (optional)').fill('[0-9]{4}');
  await page.getByLabel('A value to try').fill('12a4');
  await posting(page, `/console/${tenant}/settings/attributes`, () => page.getByRole('button', { name: 'Try the pattern' }).click());
  await expect(page.getByRole('alert')).toBeVisible();
  await expectAccessible(page, 'a pattern tried');

  await page.getByRole('link', { name: 'API tokens' }).click();
  await page.getByLabel('Name').fill('ci');
  await page.getByLabel('Admin role').selectOption('auditor');
  await posting(page, `/console/${tenant}/settings/tokens`, () => page.getByRole('button', { name: 'Create token' }).click());
  await expect(page.locator('#token-secret')).toHaveText(/^usher_/);
  await expect(page.getByRole('cell', { name: 'ci', exact: true })).toBeVisible();
  await expectAccessible(page, 'the API tokens');
  await shot(page, 'tokens');

  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page.getByRole('cell', { name: 'token.create' }).first()).toBeVisible();
  await expectAccessible(page, 'the audit log');
  await shot(page, 'audit');
  await posting(page, `/console/${tenant}/audit/verify`, () => page.getByRole('button', { name: 'Check the chain' }).click());
  await expect(page.getByRole('status')).toContainText('is intact');
});

test('a bulk operator uploads a file, starts the run and follows its rows; an import is checked first', async ({ page }) => {
  const tenant = await newTenant();
  const who = await admin(tenant, 'bulk_operator');
  const email = newEmail('bulk');
  await createUser(tenant, { email, activate: true });
  expect((await signIn(page, tenant, who)).status()).toBe(303);

  await page.getByRole('link', { name: 'Bulk and imports' }).click();
  await expectAccessible(page, 'the bulk processes');
  await page.getByLabel('CSV file').setInputFiles({ name: 'users.csv', mimeType: 'text/csv', buffer: Buffer.from(`email\n${email}\n`) });
  await page.getByLabel('Action').selectOption('block');
  await posting(page, `/console/${tenant}/bulk`, () => page.getByRole('button', { name: 'Upload' }).click());
  await expect(page.locator('progress')).toBeVisible();
  await expectAccessible(page, 'an uploaded process');
  await shot(page, 'bulk-process');
  await page.getByRole('button', { name: 'Start' }).click();
  await expect(page.locator('.badge')).toHaveText('completed', { timeout: 15_000 });
  await expect(page.getByRole('cell', { name: email })).toBeVisible();
  const user = (await ok(200, 'GET', `/api/v1/tenants/${tenant}/users?search=${encodeURIComponent(email)}`)).items[0];
  expect(user.state).toBe('blocked');

  await page.getByRole('link', { name: 'Imports', exact: true }).click();
  await expect(page.getByLabel('Check only (dry run): nothing is written')).toBeChecked();
  await page.getByLabel('CSV file').setInputFiles({ name: 'new.csv', mimeType: 'text/csv', buffer: Buffer.from('email\nfresh@browser.example\n') });
  await posting(page, `/console/${tenant}/imports`, () => page.getByRole('button', { name: 'Import' }).click());
  await expect(page.getByRole('status')).toContainText('dry run');
  await expectAccessible(page, 'a dry run import');
  await shot(page, 'import');
});

test('a scoped admin sees only the users of the scope, in their own language', async ({ page, issues }) => {
  const tenant = await newTenant();
  await ok(201, 'POST', `/api/v1/tenants/${tenant}/attributes`, { body: { name: 'department', label: 'Department' } });
  const staff = [];
  for (const department of ['Sales', 'Sales', 'Marketing']) {
    staff.push(await createUser(tenant, { email: newEmail('staff'), attributes: { department }, send_invitation: false }));
  }
  const who = await admin(tenant, 'helpdesk', { attribute: 'department', equals: 'sales' });
  await ok(200, 'PATCH', `/api/v1/tenants/${tenant}/users/${who.user.id}`, { body: { language: 'de' } });
  const res = await signIn(page, tenant, who);
  expect(res.status()).toBe(303);
  await expect(page.locator('html')).toHaveAttribute('lang', 'de');
  await expect(page.getByRole('status')).toHaveText('2 Benutzer');
  await expectAccessible(page, 'a scoped admin’s users list');
  // A user outside the scope does not exist for this admin.
  issues.allowStatus(404);
  const outside = await page.goto(`/console/${tenant}/users/${staff[2].id}`);
  expect(outside.status()).toBe(404);
});
