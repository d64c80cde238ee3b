// The tests' own TOTP, checked against RFC 6238 appendix B (SHA-1), so a
// failing second-factor test points at the server, not at the helper.

import { test, expect } from '@playwright/test';
import { base32Decode, hotp, stepAt } from './support/totp.js';

test('the helper computes the RFC 6238 SHA-1 test vectors', () => {
  const key = Buffer.from('12345678901234567890', 'ascii');
  const vectors = [
    [59, '94287082'],
    [1111111109, '07081804'],
    [1111111111, '14050471'],
    [1234567890, '89005924'],
    [2000000000, '69279037'],
  ];
  for (const [time, code] of vectors) {
    expect(hotp(key, stepAt(time * 1000), 8)).toBe(code);
  }
});

test('the helper decodes base32 as RFC 4648 defines it', () => {
  expect(base32Decode('MZXW6YTBOI======').toString()).toBe('foobar');
  expect(base32Decode('mzxw 6ytb oi').toString()).toBe('foobar');
  expect(() => base32Decode('not base32!')).toThrow();
});
