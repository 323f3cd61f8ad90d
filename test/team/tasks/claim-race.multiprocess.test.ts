import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadTeamConfig } from '../../../src/config/index.js';
import { newTask } from '../../../src/team/tasks/task-factory.js';
import { writeRunningState } from '../../support/running-state.js';
import { ensureBuilt, startCli } from '../../support/cli.js';
import { readEntries } from '../../support/ledger.js';
import { useProcessesTimeout } from '../../support/timeouts.js';
import { tempProject, type TempProject } from '../../support/temp-project.js';

useProcessesTimeout();

const WORKERS = 8;
const TASKS = 200;
let project: TempProject;

beforeAll(() => ensureBuilt());
afterEach(async () => {
  await project.cleanup();
});

describe('8 agent processes racing over 200 ready tasks', () => {
  it('never double-claim and leave no task behind', async () => {
    project = await tempProject();
    const configFile = await project.write(
      'orchestrator-config.json',
      JSON.stringify({
        agents: [
          { id: 'manager', role: 'team_manager', max_concurrent_tasks: 1 },
          ...Array.from({ length: WORKERS }, (_, index) => ({
            id: `worker-${index + 1}`,
            role: 'backend_developer',
            max_concurrent_tasks: 1,
          })),
        ],
        budget: { max_usd: null },
        provider: { name: 'sim', time_scale: 0, blocker_rate: 0 },
        // The race, not the per-agent cap: under load one process can take 50+ of the 200 tasks, and an agent that
        // reaches max_iterations stops and hands back a task dispatched to it, which shows as a second claim.
        coordination: { max_iterations: TASKS },
      }),
    );
    const config = loadTeamConfig({ configPath: configFile, cwd: project.dir });
    const tasks = Array.from({ length: TASKS }, (_, index) =>
      newTask({
        task: {
          id: `T${index + 1}`,
          title: `Task ${index + 1}`,
          description: 'A small independent change.',
          role: 'backend_developer',
          dependsOn: [],
          files: [`src/part-${index + 1}.ts`],
          complexity: 'simple',
          acceptanceCriteria: ['it works'],
        },
        createdBy: 'manager',
        status: 'ready',
      }),
    );
    const store = await writeRunningState({ config, runId: 'race', feature: 'Claim race', tasks });

    const agents = Array.from({ length: WORKERS }, (_, index) =>
      startCli(['agent', '--id', `worker-${index + 1}`, '--config', configFile], { cwd: project.dir }),
    );
    // Wait (on file changes, polling as a fallback) until every task is done, then end the run.
    await new Promise<void>((resolve, reject) => {
      let stopped = false;
      const check = (): void => {
        store
          .read()
          .then((state) => {
            if (!stopped && state.tasks.every((task) => task.status === 'done')) {
              stopped = true;
              stopWatch();
              clearInterval(poll);
              resolve();
            }
          })
          .catch(reject);
      };
      const stopWatch = store.watch(check);
      const poll = setInterval(check, 200);
    });
    await store.update((state) => {
      state.run.status = 'done';
    });
    const results = await Promise.all(agents.map((agent) => agent.done));
    for (const result of results) {
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
    }

    const ledger = await readEntries(config.ledgerFile);
    const claims = ledger.filter((entry) => entry.type === 'task-claim');
    const ends = ledger.filter((entry) => entry.type === 'task-end');
    expect(claims).toHaveLength(TASKS);
    expect(new Set(claims.map((entry) => entry['taskId'])).size).toBe(TASKS);
    expect(ends).toHaveLength(TASKS);
    expect(ends.every((entry) => entry['status'] === 'done')).toBe(true);
    // Each task was done by the agent that claimed it.
    const claimedBy = new Map(claims.map((entry) => [entry['taskId'], entry['agentId']]));
    for (const end of ends) expect(end['agentId']).toBe(claimedBy.get(end['taskId']));
    const workers = new Set(claims.map((entry) => entry['agentId']));
    expect(workers.size).toBeGreaterThan(1);
    const state = await store.read();
    expect(
      Object.values(state.agents)
        .filter((agent) => agent.id !== 'manager')
        .every((agent) => agent.status === 'stopped'),
    ).toBe(true);
  });
});
