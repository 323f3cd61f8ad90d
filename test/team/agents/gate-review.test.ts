import { describe, expect, it } from 'vitest';
import { gateConfigSchema } from '../../../src/config/orchestrator-config.js';
import { simulateGate } from '../../../src/providers/sim-gates.js';
import { gatesFor } from '../../../src/team/agents/gate-review.js';

describe('which gates a task goes through', () => {
  const gates = [
    gateConfigSchema.parse({ name: 'security' }),
    gateConfigSchema.parse({ name: 'compliance', paths: ['src/payments', 'src/billing/'] }),
    gateConfigSchema.parse({ name: 'mobile-store', roles: ['ios_developer'] }),
  ];
  const names = (role: string, files: string[]): string[] => gatesFor(gates, { role }, files).map((gate) => gate.name);

  it('every task goes through a gate with no scope', () => {
    expect(names('backend_developer', ['src/routes/login.ts'])).toEqual(['security']);
  });

  it('a path scope matches files in those folders, not names that merely start the same', () => {
    expect(names('backend_developer', ['src/payments/charge.ts'])).toEqual(['security', 'compliance']);
    expect(names('backend_developer', ['src/billing/invoice.ts'])).toEqual(['security', 'compliance']);
    expect(names('backend_developer', ['src/payments-old/charge.ts'])).toEqual(['security']);
  });

  it('a role scope matches the task role', () => {
    expect(names('ios_developer', ['mobile/ios/App.swift'])).toEqual(['security', 'mobile-store']);
  });
});

describe('the sim gates', () => {
  const diff = (lines: string[]): string =>
    ['diff --git a/src/a.js b/src/a.js', '--- a/src/a.js', '+++ b/src/a.js', '@@ -0,0 +1 @@', ...lines.map((line) => `+${line}`)].join(
      '\n',
    );

  it('security fails hard-coded credentials and eval on added lines, with the file named', () => {
    const verdict = simulateGate({
      gate: 'security',
      taskId: 'T1',
      diff: diff(['const apiKey = "sk-live-abcdef123456";', 'eval(input);']),
    });
    expect(verdict.passed).toBe(false);
    expect(verdict.reasons).toEqual([
      'src/a.js: a credential is hard-coded: `const apiKey = "sk-live-abcdef123456";`',
      'src/a.js: code is evaluated from a string: `eval(input);`',
    ]);
  });

  it('compliance fails personal data in logs; clean changes and removed lines pass', () => {
    expect(simulateGate({ gate: 'compliance', taskId: 'T1', diff: diff(['console.log("signup", user.email);']) }).passed).toBe(false);
    const removed = ['--- a/src/a.js', '+++ b/src/a.js', '-const password = "hunter2hunter2";'].join('\n');
    expect(simulateGate({ gate: 'security', taskId: 'T1', diff: removed }).passed).toBe(true);
    expect(simulateGate({ gate: 'compliance', taskId: 'T1', diff: diff(['export const add = (a, b) => a + b;']) })).toEqual({
      passed: true,
      reasons: ['compliance: checked 1 changed file(s), nothing to block'],
    });
  });
});
