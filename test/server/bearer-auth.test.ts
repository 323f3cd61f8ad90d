import { describe, expect, it } from 'vitest';
import { bearerMatches } from '../../src/server/bearer-auth.js';
import { isLoopbackHost } from '../../src/server/loopback-host.js';

describe('bearerMatches', () => {
  const token = 'a-long-enough-secret-token';
  it('accepts exactly "Bearer <token>" (scheme in any case, spaces around)', () => {
    expect(bearerMatches(`Bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`bearer ${token}`, token)).toBe(true);
    expect(bearerMatches(`  Bearer   ${token}  `, token)).toBe(true);
  });
  it('refuses anything else: none, empty, another scheme, a prefix, a longer value', () => {
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      `Basic ${token}`,
      `Bearer ${token.slice(0, -1)}`,
      `Bearer ${token}0`,
      token,
    ]) {
      expect(bearerMatches(header, token), String(header)).toBe(false);
    }
  });
});

describe('isLoopbackHost', () => {
  it('knows loopback names and addresses from the rest', () => {
    for (const host of ['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com', '::ffff:10.0.0.1', ''])
      expect(isLoopbackHost(host), host).toBe(false);
  });
});
