import { mkdir } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCommand } from '../support/cli-in-process.js';
import { makeFifo, type TestFifo } from '../support/fifo.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

let project: TempProject;
let fifo: TestFifo;

beforeEach(async () => {
  project = await tempProject('agent-team-input-files-');
  fifo = makeFifo(project.path('pipe'));
});

afterEach(async () => {
  fifo.close();
  await project.cleanup();
});

describe('an input file that is a FIFO', () => {
  it.each([
    ['--config', ['status', '--config', 'pipe'], 'orchestrator config'],
    ['batch --tasks', ['batch', 'run', '--tasks', 'pipe'], 'tasks file'],
    ['batch --csv', ['batch', 'run', '--csv', 'pipe'], 'CSV tasks file'],
    ['queue run', ['queue', 'run', 'pipe'], ''],
    ['run --replay (a cassette)', ['run', '--feature', 'x', '--replay', '{pipe}', '--time-scale', '0'], 'the cassette'],
  ])('%s: refused at once with exit 2, naming the path', async (_name, args, what) => {
    // The cassette path is taken as given (relative to the process, not the command's directory): pass it whole.
    const result = await runCommand(
      args.map((arg) => (arg === '{pipe}' ? fifo.path : arg)),
      { cwd: project.dir },
    );
    expect(result.code, result.stderr).toBe(2);
    // The path as it was given.
    expect(result.stderr).toMatch(/(^|[ /])pipe is invalid/m);
    expect(result.stderr).toMatch(new RegExp(`expected ${what}.*to be a regular file, found a FIFO \\(named pipe\\)`));
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('.ai-agents/config.yml as a FIFO is refused the same way', async () => {
    await mkdir(project.path('.ai-agents'));
    const agentsFifo = makeFifo(project.path('.ai-agents/config.yml'));
    try {
      const result = await runCommand(['status'], { cwd: project.dir });
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`${agentsFifo.path}`);
      expect(result.stderr).toContain('found a FIFO (named pipe)');
    } finally {
      agentsFifo.close();
    }
  });

  it('a prompt file that is a FIFO is refused, naming the setting and the path', async () => {
    await project.write(
      '.ai-agents/config.yml',
      [
        'agents:',
        `  backend_developer: { base: ${fifo.path}, max_tokens: 4000 }`,
        '  team_manager: { base: base/manager.md, max_tokens: 4000 }',
        '  frontend_developer: { base: base/software-developer.md, max_tokens: 4000 }',
        '  qa_tester: { base: base/qa-tester.md, max_tokens: 4000 }',
        '  reviewer: { base: base/reviewer.md, max_tokens: 4000 }',
      ].join('\n'),
    );
    const result = await runCommand(['prompt', 'backend-dev'], { cwd: project.dir });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(`agents.backend_developer.base: expected a prompt file at ${fifo.path}, found a FIFO (named pipe)`);
  });

  it('a directory given as the tasks file is refused too', async () => {
    await mkdir(project.path('tasks'));
    const result = await runCommand(['batch', 'run', '--tasks', 'tasks'], { cwd: project.dir });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain('found a directory');
  });
});
