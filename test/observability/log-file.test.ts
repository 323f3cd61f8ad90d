import { readFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { bufferTerminal } from '../../src/cli/terminal.js';
import { annotateCorrelation, getLogger, logToFile, logToStream, withCorrelation } from '../../src/observability/index.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

let project: TempProject | undefined;
afterEach(async () => {
  logToStream(process.stderr);
  await project?.cleanup();
});

describe('a log file', () => {
  it('gets info lines and above (stderr stays at warn), each with the correlation it was written in; closed, it gets no more', async () => {
    project = await tempProject('agent-team-log-file-');
    const terminal = bufferTerminal();
    logToStream(terminal.err);
    const file = await logToFile(project.path('logs', 'orchestrator.log'));
    const log = getLogger('log-file.test');
    log.debug('not kept anywhere');
    await withCorrelation({ taskId: 'feature-1' }, async () => {
      log.info('about the task');
      await withCorrelation({ subtaskId: 'backend_developer::feature-1::T1', runId: 'run-1' }, async () => {
        log.warn('about its subtask', { apiKey: 'sk-ant-api03-notinthefile0000' });
      });
      // A field set later on the same scope (a handler that read the task from a body) shows on the lines after it.
      annotateCorrelation({ runId: 'run-2' });
      log.info('after the run started');
    });
    log.info('about nothing');
    await file.close();
    log.info('after closing');

    const lines = (await readFile(file.path, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.map((line) => line['message'])).toEqual(['about the task', 'about its subtask', 'after the run started', 'about nothing']);
    expect(lines[0]).toMatchObject({ level: 'info', task_id: 'feature-1' });
    expect(lines[0]).not.toHaveProperty('subtask_id');
    expect(lines[1]).toMatchObject({
      level: 'warn',
      task_id: 'feature-1',
      subtask_id: 'backend_developer::feature-1::T1',
      run_id: 'run-1',
      apiKey: '[redacted]',
    });
    expect(lines[2]).toMatchObject({ task_id: 'feature-1', run_id: 'run-2' });
    expect(lines[3]).not.toHaveProperty('task_id');
    // stderr has only the warning.
    expect(
      terminal
        .stderr()
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { message: string }).message),
    ).toEqual(['about its subtask']);
  });
});
