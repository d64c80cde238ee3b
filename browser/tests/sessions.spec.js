// The sessions page at /t/{tenant}/sessions: who may see it, the list of
// one's sessions, ending one, and logging out.

import { test, expect } from './support/fixtures.js';
import { expectSignedIn, posting, submitLogin } from './support/pages.js';
import { BASE, apiLogin, meStatus, newEmail, newPassword, newTenant, ok, userWithPassword } from './support/usher.js';

let tenant;
test.beforeAll(async () => {
  tenant = await newTenant();
});

/// A user with a password, signed in in the browser; answers the cookie.
async function signedIn(page, context, extra = {}) {
  const email = newEmail('sessions');
  const password = newPassword();
  const user = await userWithPassword(tenant, { email, password, ...extra });
  const cookie = await expectSignedIn(page, context, tenant, await submitLogin(page, tenant, email, password));
  return { user, email, password, cookie };
}

/// Fetches the sessions page with this Cookie header, without following redirects.
async function sessionsWith(cookie) {
  return fetch(`${BASE}/t/${tenant}/sessions`, {
    redirect: 'manual',
    headers: cookie ? { cookie } : {},
  });
}

test('without a valid session cookie the sessions page sends the visitor to log in', async ({ page }) => {
  for (const cookie of [null, 'usher_session=usher_ses_notasession']) {
    const res = await sessionsWith(cookie);
    expect(res.status, `with cookie ${cookie}`).toBe(303);
    expect(new URL(res.headers.get('location'), BASE).pathname).toBe(`/t/${tenant}/login`);
  }
  const res = await page.goto(`/t/${tenant}/sessions`);
  expect(res.request().redirectedFrom(), 'reached through a redirect').toBeTruthy();
  await expect(page).toHaveURL(new RegExp(`/t/${tenant}/login$`));
  await expect(page.locator('#password')).toBeVisible();
});

test('the page lists every session, marks the current one, and ends another', async ({ page, context }) => {
  const { email, password } = await signedIn(page, context);
  const others = [];
  for (let i = 0; i < 2; i++) {
    const login = await apiLogin(tenant, email, password);
    expect(login.status).toBe(200);
    others.push(login.body);
  }
  await page.reload();

  const rows = page.locator('table#sessions tr[data-session-id]');
  await expect(rows).toHaveCount(3);
  const ids = await rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.sessionId));
  for (const o of others) expect(ids).toContain(o.session_id);
  const currentId = ids.find((id) => !others.some((o) => o.session_id === id));
  const current = page.locator(`tr[data-session-id="${currentId}"]`);
  await expect(current).toHaveAttribute('aria-current', /^(true|page)$/);
  await expect(current.getByRole('button')).toHaveCount(0);
  for (const o of others) {
    const row = page.locator(`tr[data-session-id="${o.session_id}"]`);
    await expect(row).not.toHaveAttribute('aria-current', /.+/);
    const form = row.locator('form');
    await expect(form.getByRole('button')).toHaveCount(1);
    expect((await form.getAttribute('method')).toLowerCase()).toBe('post');
    expect(await form.evaluate((f) => new URL(f.action).pathname)).toBe(`/t/${tenant}/sessions/${o.session_id}/end`);
  }

  const [ended, kept] = others;
  expect(await meStatus(tenant, ended.session_token)).toBe(200);
  await posting(page, `/t/${tenant}/sessions/${ended.session_id}/end`, () =>
    page.locator(`tr[data-session-id="${ended.session_id}"]`).getByRole('button').click(),
  );
  await expect(page).toHaveURL(new RegExp(`/t/${tenant}/sessions$`));
  await expect(rows).toHaveCount(2);
  await expect(page.locator(`tr[data-session-id="${ended.session_id}"]`)).toHaveCount(0);
  expect(await meStatus(tenant, ended.session_token)).toBe(401);
  expect(await meStatus(tenant, kept.session_token)).toBe(200);
});

test('logging out returns to the login page and the old cookie no longer works', async ({ page, context }) => {
  const { user, cookie } = await signedIn(page, context);
  const before = await sessionsWith(`usher_session=${cookie.value}`);
  expect(before.status).toBe(200);

  await posting(page, `/t/${tenant}/logout`, () => page.getByRole('button', { name: 'Log out' }).click());
  await expect(page).toHaveURL(new RegExp(`/t/${tenant}/login$`));

  // Even a copy of the cookie kept from before is refused now.
  const after = await sessionsWith(`usher_session=${cookie.value}`);
  expect(after.status).toBe(303);
  expect(new URL(after.headers.get('location'), BASE).pathname).toBe(`/t/${tenant}/login`);
  await context.addCookies([cookie]);
  await page.goto(`/t/${tenant}/sessions`);
  await expect(page).toHaveURL(new RegExp(`/t/${tenant}/login$`));
  const sessions = await ok(200, 'GET', `/api/v1/tenants/${tenant}/users/${user.id}/sessions`);
  expect(sessions.total).toBe(0);
});
