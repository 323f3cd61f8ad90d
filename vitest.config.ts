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

// Files that run in a fresh module context of their own: they change what is process-wide and read once (the
// logger's target and level, the global tracer provider), or they check which modules a process loads. Every other
// file shares one module context per worker (project `shared`), whatever it starts: processes, servers and a browser
// cost the same there, while importing the product afresh costs each file about 1.7 s of CPU (test/server alone: 132 s
// isolated, 92 s shared), more than most files spend on their tests. test/support/shared-context-guard.ts fails a
// shared file that leaves the environment or the working directory changed.
const ISOLATED = [
  'test/observability/logger.test.ts',
  'test/observability/log-file.test.ts',
  'test/observability/service-log.test.ts',
  'test/observability/tracing.test.ts',
  'test/cli/start-up-loading.test.ts',
  'test/providers/lenient-corpus.test.ts',
  'test/server/log-secrets.test.ts',
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
