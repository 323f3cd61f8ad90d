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

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Three files at a time on a 2-core machine: the longest files mostly wait on the processes, servers and
    // browser they start, so a third worker uses time the CPU would otherwise spend idle.
    maxWorkers: 3,
    sequence: { sequencer: LongFirst },
  },
});
