/**
 * The server's requested wait before a retry, from `retry-after-ms` (non-standard,
 * milliseconds) or `retry-after` (RFC 9110 §10.2.3: delay-seconds or an HTTP date).
 */

/** Milliseconds to wait, or undefined when the headers ask for nothing readable; a date in the past is 0. */
export function retryAfterMsOf(headers: Headers | undefined, now: () => number = Date.now): number | undefined {
  if (headers === undefined) return undefined;
  const milliseconds = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return Math.round(milliseconds);
  const retryAfter = headers.get('retry-after')?.trim();
  if (retryAfter === undefined || retryAfter === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
  // An HTTP date (IMF-fixdate, or the obsolete RFC 850 and asctime forms): a letter must start it,
  // so a bare number that failed the test above (negative, say) is never read as a year.
  if (!/^[A-Za-z]/.test(retryAfter)) return undefined;
  const date = Date.parse(retryAfter);
  return Number.isFinite(date) ? Math.max(0, date - now()) : undefined;
}
