// The second step of a login at /t/{tenant}/mfa: a code from an
// authenticator app, and enrolment on the way in when the tenant requires
// a second factor.

import { test, expect } from './support/fixtures.js';
import { expectSignedIn, sessionCookie, submitCode, submitLogin } from './support/pages.js';
import { Authenticator, base32Decode } from './support/totp.js';
import { apiLogin, enrolTotp, getUser, newEmail, newPassword, newTenant, ok, userWithPassword } from './support/usher.js';

/// Checks the code step's form as the contract describes it.
async function expectCodeStep(page, tenant) {
  const code = page.locator('input#code');
  await expect(code).toBeVisible();
  await expect(code).toHaveAttribute('name', 'code');
  await expect(code).toHaveAttribute('autocomplete', 'one-time-code');
  await expect(code).toHaveAccessibleName(/\S/);
  const form = page.locator('form:has(#code)');
  expect((await form.getAttribute('method')).toLowerCase()).toBe('post');
  const action = await form.evaluate((f) => new URL(f.action).pathname);
  expect(action).toBe(`/t/${tenant}/mfa`);
  await expect(form.locator('input[type=hidden][name=mfa_token]')).toHaveValue(/\S/);
  await expect(form.locator('input[type=hidden][name=csrf]')).toHaveValue(/\S/);
}

test.describe('a user with an authenticator app', () => {
  let tenant;
  test.beforeAll(async () => {
    tenant = await newTenant();
  });

  test('is asked for a code after the password, and a good code signs in', async ({ page, context }) => {
    const email = newEmail('totp');
    const password = newPassword();
    await userWithPassword(tenant, { email, password });
    const app = await enrolTotp(tenant, email, password);

    await submitLogin(page, tenant, email, password);
    await expectCodeStep(page, tenant);
    expect(await sessionCookie(context, tenant), 'no session before the code').toBeUndefined();

    const res = await submitCode(page, tenant, await app.nextCode());
    await expectSignedIn(page, context, tenant, res);
  });

  test('is not signed in by a wrong code', async ({ page, context, issues }) => {
    const email = newEmail('totp');
    const password = newPassword();
    await userWithPassword(tenant, { email, password });
    const app = await enrolTotp(tenant, email, password);
    const good = await app.nextCode();
    const wrong = String((Number(good) + 1) % 1_000_000).padStart(6, '0');

    await submitLogin(page, tenant, email, password);
    await expectCodeStep(page, tenant);
    issues.allowStatus(400, 401, 403, 422);
    const res = await submitCode(page, tenant, wrong);
    expect(res.status()).not.toBe(303);
    await expect(page).not.toHaveURL(/\/sessions$/);
    expect(await sessionCookie(context, tenant)).toBeUndefined();
  });
});

test('a user without an app enrols on the way in when the tenant requires a second factor', async ({ page, context }) => {
  const tenant = await newTenant();
  await ok(200, 'PATCH', `/api/v1/tenants/${tenant}/settings`, { body: { mfa: 'required' } });
  const email = newEmail('enrol');
  const password = newPassword();
  const user = await userWithPassword(tenant, { email, password });
  expect(user.mfa_enrolled).toBe(false);

  await submitLogin(page, tenant, email, password);
  await expect(page.locator('#qr svg')).toBeVisible();
  const secret = (await page.locator('#totp-secret').textContent()).trim();
  expect(secret.replace(/\s/g, '')).toMatch(/^[A-Z2-7]+=*$/);
  expect(base32Decode(secret).length).toBeGreaterThanOrEqual(16);
  await expectCodeStep(page, tenant);
  expect(await sessionCookie(context, tenant), 'no session before the code').toBeUndefined();

  const app = new Authenticator(secret);
  const res = await submitCode(page, tenant, await app.nextCode());
  await expectSignedIn(page, context, tenant, res);

  // The app is now the user's second factor: the password alone is no longer enough.
  expect((await getUser(tenant, user.id)).mfa_enrolled).toBe(true);
  const again = await apiLogin(tenant, email, password);
  expect(again.status).toBe(200);
  expect(again.body.mfa_required).toBe(true);
});
