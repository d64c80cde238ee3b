// Mail as the SMTP server run.sh started (aiosmtpd's Mailbox handler)
// stored it: one file per message in a Maildir. Usher's deliverer sends
// queued mail every two seconds, so readers wait for it.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const MAILDIR = process.env.USHER_MAILDIR;

/// Splits a message (or a MIME part) into lower-cased headers and body.
function split(raw) {
  const at = raw.search(/\r?\n\r?\n/);
  const head = at < 0 ? raw : raw.slice(0, at);
  const body = at < 0 ? '' : raw.slice(at).replace(/^\r?\n\r?\n/, '');
  const headers = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function decodeBody(body, encoding = '') {
  switch (encoding.toLowerCase()) {
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    case 'quoted-printable': {
      const bytes = body
        .replace(/=\r?\n/g, '')
        .replace(/=([0-9A-Fa-f]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
      return Buffer.from(bytes, 'latin1').toString('utf8');
    }
    default:
      return body;
  }
}

/// The text/plain content of a message, walking multipart bodies.
function plainText(raw) {
  const { headers, body } = split(raw);
  const type = headers['content-type'] || 'text/plain';
  const boundary = /boundary="?([^";]+)"?/i.exec(type);
  if (/^multipart\//i.test(type) && boundary) {
    const parts = body.split(`--${boundary[1]}`).slice(1);
    for (const part of parts) {
      if (part.startsWith('--')) break;
      const text = plainText(part.replace(/^\r?\n/, ''));
      if (text !== null) return text;
    }
    return null;
  }
  if (/^text\/plain/i.test(type)) return decodeBody(body, headers['content-transfer-encoding']);
  return null;
}

function readAll() {
  const messages = [];
  for (const sub of ['new', 'cur']) {
    for (const name of readdirSync(join(MAILDIR, sub))) {
      const file = join(MAILDIR, sub, name);
      const raw = readFileSync(file, 'utf8');
      const { headers } = split(raw);
      messages.push({
        at: statSync(file).mtimeMs,
        to: headers.to || '',
        subject: headers.subject || '',
        text: plainText(raw) || '',
      });
    }
  }
  return messages.sort((a, b) => a.at - b.at);
}

function linksIn(mails, marker) {
  return mails.flatMap((m) => m.text.split(/\s+/).filter((w) => w.startsWith('http') && w.includes(marker)));
}

/// Waits (up to 20 s) until `test` accepts the mails to `address` (oldest
/// first), and answers what it answered.
async function waitFor(address, what, test) {
  if (!MAILDIR) throw new Error('USHER_MAILDIR is not set: run the suite through browser/run.sh');
  const deadline = Date.now() + 20_000;
  for (;;) {
    const found = test(readAll().filter((m) => m.to.includes(address)));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no ${what} for ${address} within 20 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/// The mails to `address`, once at least `count` arrived.
export async function mailsTo(address, count = 1) {
  return waitFor(address, `${count} mail(s)`, (mails) => mails.length >= count && mails);
}

/// The `nth` (1-based) link containing `marker` mailed to `address`.
export async function mailedLink(address, marker, nth = 1) {
  return waitFor(address, `mail with link ${nth} of ${marker}`, (mails) => linksIn(mails, marker)[nth - 1]);
}
