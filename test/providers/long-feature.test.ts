import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../support/cli-in-process.js';
import { ensureBuilt, startCli } from '../support/cli.js';
import { readEntries } from '../support/ledger.js';
import { waitUntil } from '../support/processes.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { useProcessesTimeout } from '../support/timeouts.js';

useProcessesTimeout();

// A feature that is one pre-token of 20,000 characters: counting it whole kept a planner busy for minutes.
const FEATURE = `Add a divider: ${'='.repeat(20_000)}`;
const LEDGER = '.ai-agents/state/run_ledger.jsonl';
let project: TempProject;

beforeAll(() => ensureBuilt());
afterEach(async () => {
  await project.cleanup();
});

describe('a feature holding 20,000 "="', () => {
  it('is planned and run by the sim', async () => {
    project = await tempProject();
    const result = await runCommand(['run', '--feature', FEATURE, '--time-scale', '0', '--json'], { cwd: project.dir });
    expect(result.code).toBe(0);
    const ledger = await readEntries(project.path(LEDGER));
    expect(ledger.filter((entry) => entry.type === 'task-end' && entry['status'] === 'done').length).toBeGreaterThan(0);
  });

  it('leaves a running process free to stop on SIGTERM with exit 130', async () => {
    project = await tempProject();
    const running = startCli(['run', '--feature', FEATURE, '--seed', '2', '--time-scale', '0.05'], { cwd: project.dir });
    let claimed = false;
    let reading = false;
    // Polls the ledger; the bound only catches a hang.
    await waitUntil(() => {
      if (!reading) {
        reading = true;
        void readEntries(project.path(LEDGER))
          .then((entries) => {
            claimed = entries.some((entry) => entry.type === 'task-claim');
          })
          .catch(() => undefined)
          .finally(() => {
            reading = false;
          });
      }
      return claimed;
    }, 'a task is claimed');
    running.kill('SIGTERM');
    const ended = await running.done;
    expect(ended.code).toBe(130);
  });
});
