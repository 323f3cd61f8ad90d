import type { SimGateContext } from './sim-context.js';

/** One check a sim gate applies to each added line of a diff. */
interface LineCheck {
  pattern: RegExp;
  reason: string;
}

// What a careful reviewer with each gate's prompt would flag on sight.
const CHECKS: Readonly<Record<string, readonly LineCheck[]>> = {
  security: [
    { pattern: /\b(api[_-]?key|secret|password|passwd|token)\b\s*[:=]\s*['"][^'"]{6,}['"]/i, reason: 'a credential is hard-coded' },
    { pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----/, reason: 'a private key is committed' },
    { pattern: /\beval\s*\(|new Function\s*\(/, reason: 'code is evaluated from a string' },
    { pattern: /\bexec(Sync)?\s*\(\s*[`'"][^`'"]*\$\{|\bexec(Sync)?\s*\([^)]*\+/, reason: 'a shell command is built from input' },
  ],
  compliance: [
    {
      pattern: /console\.(log|info|debug)\([^)]*\b(email|password|ssn|card(Number)?|iban|dateOfBirth)\b/i,
      reason: 'personal data is written to the logs',
    },
    { pattern: /\b\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}\b/, reason: 'a card number appears in the change' },
  ],
};

/** The added lines of a unified diff, with the file each belongs to. */
function addedLines(diff: string): { file: string; line: string }[] {
  const lines: { file: string; line: string }[] = [];
  let file = '';
  for (const raw of diff.split('\n')) {
    if (raw.startsWith('+++ ')) {
      file = raw.slice(4).replace(/^b\//, '');
      continue;
    }
    if (raw.startsWith('+') && !raw.startsWith('+++')) lines.push({ file, line: raw.slice(1) });
  }
  return lines;
}

/**
 * The sim gate's verdict: the checks of its gate on every added line. A gate
 * with no checks (a custom one) passes. Deterministic: same diff, same verdict.
 */
export function simulateGate(context: SimGateContext): { passed: boolean; reasons: string[] } {
  const checks = CHECKS[context.gate] ?? [];
  const reasons: string[] = [];
  for (const { file, line } of addedLines(context.diff)) {
    for (const check of checks) {
      if (check.pattern.test(line)) reasons.push(`${file}: ${check.reason}: \`${line.trim().slice(0, 120)}\``);
    }
  }
  if (reasons.length > 0) return { passed: false, reasons };
  const files = new Set(addedLines(context.diff).map((added) => added.file)).size;
  return { passed: true, reasons: [`${context.gate}: checked ${files} changed file(s), nothing to block`] };
}
