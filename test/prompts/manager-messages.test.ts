/** The blocker request shows the plan it is given, whether the plan is a frozen one it has shown before or not. */
import { describe, expect, it } from 'vitest';
import { composeResolveMessage } from '../../src/prompts/index.js';

function request(plan: Parameters<typeof composeResolveMessage>[0]['plan']): string {
  return composeResolveMessage({
    feature: 'Add a cart',
    roles: [{ role: 'backend_developer', agentIds: ['backend-1'] }],
    task: { id: 'T2', title: 'Cart API', description: 'Build it.', role: 'backend_developer', raisedBy: 'backend-1' },
    question: 'Which currency?',
    kind: 'question',
    earlier: [],
    plan,
    dependencies: [],
  });
}

describe('composeResolveMessage', () => {
  it('lists every line of the plan, the same for a frozen plan shown again as for a fresh copy', () => {
    const lines = [
      { id: 'T1', title: 'Cart model', role: 'backend_developer', dependsOn: [] },
      { id: 'T2', title: 'Cart API', role: 'backend_developer', dependsOn: ['T1'] },
    ];
    const frozen = Object.freeze(lines.map((line) => Object.freeze({ ...line, dependsOn: Object.freeze([...line.dependsOn]) })));
    const expected = request(structuredClone(lines));
    expect(expected).toContain('## The plan\n- T1 (backend_developer) Cart model\n- T2 (backend_developer) Cart API [after T1]\n\n');
    expect(request(frozen)).toBe(expected);
    expect(request(frozen)).toBe(expected);
    // A plan that is not frozen may change between two requests: each shows it as it is.
    const open = structuredClone(lines);
    expect(request(open)).toBe(expected);
    (open[1] as { title: string }).title = 'Cart REST API';
    expect(request(open)).toContain('- T2 (backend_developer) Cart REST API [after T1]');
  });
});
