// Driving the login pages the way a person does: open, type, press the button.

import { expect } from '@playwright/test';

/// Waits for the answer to the POST to `path` that `act` causes, and for
/// the page it leads to to replace the current one; answers the response.
export async function posting(page, path, act) {
  // A mark on the old document, so that nothing is read from it by mistake.
  await page.locator('html').evaluate((html) => { html.dataset.stale = '1'; });
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === path),
    act(),
  ]);
  await page.locator('html[data-stale]').waitFor({ state: 'detached' });
  await page.waitForLoadState();
  return res;
}

/// Opens the login page and submits `email` and `password`; answers the
/// response to the POST (a 303 is not followed in it; the page follows).
export async function submitLogin(page, tenant, email, password) {
  const shown = await page.goto(`/t/${tenant}/login`);
  expect(shown.status()).toBe(200);
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  return posting(page, `/t/${tenant}/login`, () =>
    page.locator('form:has(#password)').getByRole('button').click(),
  );
}

/// Submits the code field of a second-factor page.
export async function submitCode(page, tenant, code) {
  await page.locator('#code').fill(code);
  return posting(page, `/t/${tenant}/mfa`, () => page.locator('form:has(#code)').getByRole('button').click());
}

/// The session cookie the browser holds for `tenant`, if any.
export async function sessionCookie(context, tenant) {
  const cookies = await context.cookies(new URL(`/t/${tenant}/sessions`, process.env.USHER_URL).href);
  return cookies.find((c) => c.name === 'usher_session');
}

/// Checks a 303 to the tenant's sessions page and the cookie it set.
export async function expectSignedIn(page, context, tenant, res) {
  expect(res.status()).toBe(303);
  expect(new URL(res.headers().location, res.url()).pathname).toBe(`/t/${tenant}/sessions`);
  await expect(page).toHaveURL(new RegExp(`/t/${tenant}/sessions$`));
  const cookie = await sessionCookie(context, tenant);
  expect(cookie, 'a usher_session cookie').toBeTruthy();
  expect(cookie.httpOnly).toBe(true);
  expect(cookie.sameSite).toBe('Strict');
  expect(cookie.path).toBe(`/t/${tenant}/`);
  return cookie;
}
