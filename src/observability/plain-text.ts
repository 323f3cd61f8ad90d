/**
 * Model output, and anything else another program wrote, reaches terminals and
 * report.md only through here: escape sequences could clear the screen, retitle
 * the window, ring the bell or hide text, so they are removed, not escaped.
 */

// ESC or the 8-bit C1 introducer, then the body of each kind of sequence:
// - CSI (ESC [ / 0x9b): parameters and intermediates, then a final byte;
// - OSC, DCS, SOS, PM, APC (ESC ] P X ^ _ / 0x9d 0x90 0x98 0x9e 0x9f): a string up to BEL or ST (ESC \ / 0x9c), or to the end;
// - any other escape: intermediates, then a final byte.
const SEQUENCE =
  /(?:\u001b\[|\u009b)[\u0030-\u003f]*[\u0020-\u002f]*[\u0040-\u007e]?|(?:\u001b[\]PX^_]|[\u009d\u0090\u0098\u009e\u009f])[^\u0007\u001b\u009c]*(?:\u0007|\u001b\\|\u009c)?|\u001b[\u0020-\u002f]*[\u0030-\u007e]?/g;

// C0 controls but tab and newline, DEL, and C1 controls.
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** The text without terminal escape sequences or control characters (tab and newline stay): safe to print or write to a report. */
export function plainText(text: string): string {
  return text.replace(SEQUENCE, '').replace(CONTROL, '');
}

/** A copy of `value` with plainText applied to every string in it (objects and arrays walked; other values as they are). */
export function plainStrings<T>(value: T): T {
  if (typeof value === 'string') return plainText(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => plainStrings(item)) as T;
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) copy[key] = plainStrings(item);
    return copy as T;
  }
  return value;
}

/**
 * JSON.stringify, with DEL and the C1 controls (U+007F to U+009F) written as `\u` escapes too:
 * JSON.stringify escapes only C0, and a terminal may act on a raw 8-bit CSI. The result parses to the same value.
 */
export function jsonText(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(
    /[\u007f-\u009f]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
