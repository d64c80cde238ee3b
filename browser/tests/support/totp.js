// RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30-second steps), as an
// authenticator app computes it, with node:crypto.

import { createHmac } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/// RFC 4648 base32 (case, spaces and padding forgiven) to bytes.
export function base32Decode(text) {
  const clean = text.toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) throw new Error(`not base32: ${JSON.stringify(text)}`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/// The HOTP value of `key` (bytes) at `counter`, with `digits` digits.
export function hotp(key, counter, digits = 6) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(bin).padStart(digits, '0');
}

export const stepAt = (unixMs) => Math.floor(unixMs / 1000 / 30);

/// An authenticator app for one base32 secret. The server accepts each
/// step's code once and allows one step of drift, so each code handed out
/// is for a step later than the last one used, waiting when that step is
/// more than one ahead of the clock.
export class Authenticator {
  constructor(secret) {
    this.key = base32Decode(secret);
    this.last = -Infinity;
  }

  async nextCode() {
    let now = stepAt(Date.now());
    const step = Math.max(now, this.last + 1);
    while (step > now + 1) {
      await new Promise((r) => setTimeout(r, 500));
      now = stepAt(Date.now());
    }
    this.last = step;
    return hotp(this.key, step);
  }
}
