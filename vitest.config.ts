import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig } from 'vitest/config';

// The files that take longest (real processes, real servers, a browser) start first, so none of them is
// left running alone at the end while the other worker idles.
const LONG_FIRST = [
  'chaos.multiprocess',
  'file-store.conformance',
  'postgres-store.conformance',
  'run-ownership.multiprocess',
  'dashboard.test',
  'approvals.test',
  'remote-workers.faults',
  'storage-faults',
  'interrupt-resume',
  'workspace-interrupt',
  'webhook-restart',
  'workspace-integration',
  'run-experiment',
];

function rank(file: string): number {
  const at = LONG_FIRST.findIndex((name) => file.includes(name));
  return at === -1 ? LONG_FIRST.length : at;
}

class LongFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    return [...sorted].sort((a, b) => rank(a.moduleId) - rank(b.moduleId));
  }
}

// Files that run in a fresh module context of their own: they change what is process-wide (the logger's target and
// level, which modules are loaded, environment variables read once, the sandbox found on PATH), or they start
// processes, servers or a browser, whose cost dwarfs a fresh import anyway. Every other file shares one module
// context per worker (project `shared`): importing the product afresh for each of ~100 small files cost more CPU
// than running them. test/support/shared-context-guard.ts fails a shared file that leaves the environment or the
// working directory changed.
const ISOLATED = [
  'test/cli/**/*.test.ts',
  'test/server/**/*.test.ts',
  'test/workspace/**/*.test.ts',
  'test/observability/**/*.test.ts',
  'test/team/integration/**/*.test.ts',
  'test/**/*.multiprocess.test.ts',
  'test/**/*.faults.test.ts',
  'test/**/*.conformance.test.ts',
  'test/config/load-config.test.ts',
  'test/experiment/experiment-cli.test.ts',
  'test/experiment/run-experiment.test.ts',
  'test/files/run-process.test.ts',
  'test/providers/anthropic.test.ts',
  'test/providers/lenient-corpus.test.ts',
  'test/providers/long-feature.test.ts',
  'test/providers/openai.test.ts',
  'test/providers/tokenizer.test.ts',
  'test/report/model-time-metrics.test.ts',
  'test/state/postgres-server.test.ts',
  'test/state/postgres-store.test.ts',
  'test/team/agents/answer-tool-loop.test.ts',
  'test/team/agents/gate-review.test.ts',
  'test/team/agents/sandboxed-commands.test.ts',
  'test/team/agents/tool-loop.test.ts',
  'test/team/run/run-owner.test.ts',
  'test/team/run/run-team.test.ts',
  'test/team/run/workspace-run.test.ts',
  'test/team/run/workspace-wire.test.ts',
  'test/team/tasks/scheduler-index.test.ts',
];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Three files at a time on a 2-core machine: the longest files mostly wait on the processes, servers and
    // browser they start, so a third worker uses time the CPU would otherwise spend idle.
    maxWorkers: 3,
    sequence: { sequencer: LongFirst },
    projects: [
      { extends: true, test: { name: 'isolated', include: ISOLATED } },
      {
        extends: true,
        test: {
          name: 'shared',
          include: ['test/**/*.test.ts'],
          exclude: ISOLATED,
          isolate: false,
          setupFiles: ['test/support/shared-context-guard.ts'],
        },
      },
    ],
  },
});
