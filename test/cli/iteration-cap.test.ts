import { describe, expect, it } from 'vitest';
import { smallTeamConfig } from '../support/small-team-config.js';
import { runCommand } from '../support/cli-in-process.js';
import { tempProject } from '../support/temp-project.js';

describe('a run stopped by coordination.max_iterations', () => {
  it('says so, and how to continue, in the run output and in status', async () => {
    const project = await tempProject();
    try {
      await project.write('orchestrator-config.json', smallTeamConfig({ maxIterations: 1, others: [{ id: 'qa-1', role: 'qa_tester' }] }));
      const stopped = await runCommand(['run', '--feature', 'Add user authentication', '--time-scale', '0'], { cwd: project.dir });
      expect(stopped.stderr).toBe('');
      expect(stopped.stdout).toMatch(/: interrupted — stopped at the iteration cap: .*coordination\.max_iterations \(1\)/);
      expect(stopped.stdout).toContain('raise coordination.max_iterations in');
      expect(stopped.stdout).toContain('Continue with: agent-team run --resume');
      const status = await runCommand(['status'], { cwd: project.dir });
      expect(status.stdout).toContain('interrupted');
      expect(status.stdout).toMatch(/stopped at the iteration cap: .*continue with agent-team run --resume/);
    } finally {
      await project.cleanup();
    }
  });
});
