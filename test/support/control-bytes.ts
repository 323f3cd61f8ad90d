/** Any byte a terminal acts on: ESC, BEL, the 8-bit CSI/OSC/ST introducers, other C0 and C1 controls (tab and newline aside). */
export const CONTROL_BYTES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

/** Model text carrying clear-screen, a window title, a bell, 8-bit CSI, a colour and a carriage return around `visible`. */
export function hostile(visible: string): string {
  return `\u001b[2J\u001b]0;pwned\u0007${visible}\u0007\u009b31m\u001b[1m!\u001b[0m\r`;
}
