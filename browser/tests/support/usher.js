// The running Usher that run.sh started, reached over its admin and auth
// APIs, and the mailbox its mail is delivered to.

import { expect } from '@playwright/test';
import { randomBytes } from 'node:crypto';
import { mailedLink } from './mail.js';
import { Authenticator } from './totp.js';

export const BASE = required('USHER_URL');
const TOKEN = required('USHER_TOKEN');

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite through browser/run.sh`);
  return value;
}

/// A password no policy refuses, different for every call.
export function newPassword() {
  return `blue ferry ${randomBytes(6).toString('hex')} lantern`;
}

/// A fresh address, so that tests never share users.
export function newEmail(tag = 'user') {
  return `${tag}-${randomBytes(5).toString('hex')}@browser.example`;
}

/// A JSON call; answers `{status, headers, body}` and never follows redirects.
export async function call(method, path, { body, token = TOKEN, headers = {} } = {}) {
  const res = await fetch(BASE + path, {
    method,
    redirect: 'manual',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/// Like `call`, and fails the test unless the status is `expected`.
export async function ok(expected, method, path, options) {
  const res = await call(method, path, options);
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(expected);
  return res.body;
}

/// A new tenant of its own, so that settings changed by one test touch no other.
export async function newTenant() {
  const slug = `b-${randomBytes(5).toString('hex')}`;
  await ok(201, 'POST', '/api/v1/tenants', { body: { slug, name: `Browser ${slug}` } });
  return slug;
}

export async function createUser(tenant, fields) {
  return ok(201, 'POST', `/api/v1/tenants/${tenant}/users`, { body: fields });
}

export async function getUser(tenant, id) {
  return ok(200, 'GET', `/api/v1/tenants/${tenant}/users/${id}`);
}

/// POST …/auth/login without an admin token; answers `{status, body}`.
export async function apiLogin(tenant, email, password) {
  return call('POST', `/api/v1/tenants/${tenant}/auth/login`, {
    token: null,
    body: { email, password },
  });
}

/// A user who accepted the invitation from the mail (through the JSON API)
/// with `password`: answers the user as the admin API shows it.
export async function userWithPassword(tenant, { email = newEmail(), password, ...fields } = {}) {
  const user = await createUser(tenant, { email, send_invitation: true, ...fields });
  const link = await mailedLink(email, '/invite/');
  const token = link.split('/').pop();
  await ok(200, 'POST', `/api/v1/tenants/${tenant}/auth/invitations/accept`, {
    token: null,
    body: { token, password },
  });
  return user;
}

/// Enrols and confirms a TOTP app for a user with a password, through the
/// auth API; answers the app, which knows which codes are spent.
export async function enrolTotp(tenant, email, password) {
  const login = await apiLogin(tenant, email, password);
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  const access = login.body.access_token;
  const enrolment = await ok(201, 'POST', `/api/v1/tenants/${tenant}/auth/totp`, { token: access });
  const app = new Authenticator(enrolment.secret);
  await ok(204, 'POST', `/api/v1/tenants/${tenant}/auth/totp/confirm`, {
    token: access,
    body: { code: await app.nextCode() },
  });
  return app;
}

/// GET …/auth/me with a session or access token: answers the status.
export async function meStatus(tenant, token) {
  return (await call('GET', `/api/v1/tenants/${tenant}/auth/me`, { token })).status;
}

/// The path and query of a full URL, for `page.goto` against BASE.
export function pathOf(link) {
  const u = new URL(link);
  return u.pathname + u.search;
}

export { mailedLink };
export { mailsTo } from './mail.js';
