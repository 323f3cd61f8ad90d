import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { teamStateSchema } from '../../src/state/index.js';
import { runCommand } from '../support/cli-in-process.js';
import { tempProject } from '../support/temp-project.js';

describe('a hard budget', () => {
  it('stops the run before it is exceeded (exit 3), and --resume with a larger budget finishes it', async () => {
    const project = await tempProject();
    try {
      const stopped = await runCommand(
        ['run', '--feature', 'Add user authentication', '--time-scale', '0', '--budget-usd', '0.12', '--json'],
        {
          cwd: project.dir,
        },
      );
      expect(stopped.stderr).toBe('');
      expect(stopped.code).toBe(3);
      const first = JSON.parse(stopped.stdout) as { status: string; summary: { costUsd: number } };
      expect(first.status).toBe('budget_exceeded');
      expect(first.summary.costUsd).toBeGreaterThan(0);
      expect(first.summary.costUsd).toBeLessThanOrEqual(0.12);
      const state = teamStateSchema.parse(JSON.parse(await readFile(project.path('.ai-agents/state/team-communication.json'), 'utf8')));
      expect(state.budget.spentUsd).toBeLessThanOrEqual(0.12);
      expect(state.budget.reservedUsd).toBe(0);
      expect(state.tasks.some((task) => task.status === 'in_progress')).toBe(false);
      expect(state.run.endReason).toMatch(/budget/);

      const resumed = await runCommand(['run', '--resume', '--budget-usd', '5', '--time-scale', '0', '--json'], { cwd: project.dir });
      expect(resumed.stderr).toBe('');
      expect(resumed.code).toBe(0);
      const second = JSON.parse(resumed.stdout) as {
        status: string;
        summary: { costUsd: number; tasks: { byStatus: Record<string, number> } };
      };
      expect(second.status).toBe('done');
      expect(second.summary.tasks.byStatus['done']).toBeGreaterThan(0);
      expect(second.summary.costUsd).toBeLessThanOrEqual(5);
    } finally {
      await project.cleanup();
    }
  });
});
