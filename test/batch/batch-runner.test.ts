import { existsSync } from 'node:fs';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchStatus, collectBatch, runBatch, tasksFromLines, type BatchEvent, type BatchTaskInput } from '../../src/batch/index.js';
import { parseCsvTasks } from '../../src/batch/task-sources.js';
import type { BatchAgent } from '../../src/batch/run-job.js';
import type { BatchJobRecord } from '../../src/batch/job-files.js';
import type { BatchRunResult } from '../../src/batch/batch-runner.js';
import type { CombinedEntry } from '../../src/batch/collect.js';
import { loadTeamConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors/index.js';
import { createAgentSpecResolver } from '../../src/team/index.js';
import { ROOT } from '../support/cli.js';
import { tempProject, type TempProject } from '../support/temp-project.js';
import { isGone, waitUntil } from '../support/processes.js';

const AGENTS = join(ROOT, 'test', 'fixtures', 'batch-agents');
const projects: TempProject[] = [];

async function newProject(): Promise<TempProject> {
  const project = await tempProject('agent-team-batch-');
  projects.push(project);
  return project;
}

afterAll(async () => {
  await Promise.all(projects.map((project) => project.cleanup()));
});

/** A `cli:[…]` spec running one of the fixture agents with node. */
function cliAgent(script: string, ...args: string[]): string {
  return `cli:${JSON.stringify([process.execPath, join(AGENTS, script), ...args, '{prompt}'])}`;
}

function resolverFor(project: TempProject): (spec: string) => BatchAgent {
  return createAgentSpecResolver({ config: loadTeamConfig({ cwd: project.dir }), seed: 1, timeScale: 0 });
}

/** Every path under `dir`, relative and sorted; directories end with `/`. */
async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .map((entry) => {
      const path = join(entry.parentPath, entry.name).slice(dir.length + 1);
      return entry.isDirectory() ? `${path}/` : path;
    })
    .sort();
}

async function jobRecord(runDir: string, tag: string): Promise<BatchJobRecord> {
  return JSON.parse(await readFile(join(runDir, 'jobs', `${tag}.json`), 'utf8')) as BatchJobRecord;
}

async function ledgerLines(runDir: string): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(runDir, 'run_ledger.jsonl'), 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('a batch of 50 jobs at concurrency 4', () => {
  let project: TempProject;
  let result: BatchRunResult;
  let tasks: BatchTaskInput[];
  const events: BatchEvent[] = [];
  const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };

  beforeAll(async () => {
    project = await newProject();
    const pidFiles = [project.path('hang-1.json'), project.path('hang-2.json')];
    tasks = [
      ...Array.from({ length: 20 }, (_, index): BatchTaskInput => ({ agent: 'sim', prompt: `Name planet number ${index + 1}.` })),
      ...Array.from(
        { length: 15 },
        (_, index): BatchTaskInput => ({ agent: 'sim:claude-haiku-4-5', prompt: `Haiku number ${index + 1}.`, tag: `haiku-${index + 1}` }),
      ),
      { agent: 'sim:claude-haiku-4-5', prompt: 'Answer as JSON.', tag: 'sim-schema', schema },
      ...Array.from(
        { length: 8 },
        (_, index): BatchTaskInput => ({
          agent: cliAgent('upper-agent.mjs'),
          prompt: `shout ${index + 1}, please`,
          tag: `upper-${index + 1}`,
        }),
      ),
      { agent: cliAgent('fail-agent.mjs'), prompt: 'fail', tag: 'fail-1' },
      { agent: cliAgent('fail-agent.mjs'), prompt: 'fail again', tag: 'fail-2' },
      { agent: cliAgent('hang-agent.mjs', pidFiles[0] as string), prompt: 'hang', tag: 'hang-1', timeout: 1.5 },
      { agent: cliAgent('hang-agent.mjs', pidFiles[1] as string), prompt: 'hang', tag: 'hang-2', timeout: 1.5 },
      { agent: cliAgent('flaky-agent.mjs', project.path('flaky.count'), '2'), prompt: 'try', tag: 'flaky', retries: 2 },
      { agent: cliAgent('json-agent.mjs'), prompt: 'Give the answer as JSON.', tag: 'json-mismatch', schema },
    ];
    expect(tasks).toHaveLength(50);
    result = await runBatch({
      tasks,
      source: 'tasks.json',
      runsDir: project.path('runs'),
      concurrency: 4,
      timeoutSeconds: 30,
      retries: 0,
      resolveAgent: resolverFor(project),
      onEvent: (event) => events.push(event),
    });
  });

  it('creates <runsDir>/<timestamp> holding exactly tasks.json, the ledger, the summary and two files per job', async () => {
    expect(result.runDir).toMatch(/[/\\]runs[/\\]\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}$/);
    const written = JSON.parse(await readFile(join(result.runDir, 'tasks.json'), 'utf8')) as { tag: string }[];
    const tags = written.map((task) => task.tag);
    expect(tags.slice(0, 3)).toEqual(['sim-01', 'sim-02', 'sim-03']);
    expect(new Set(tags).size).toBe(50);
    const expected = [
      'jobs/',
      'run_ledger.jsonl',
      'summary.json',
      'tasks.json',
      ...tags.flatMap((tag) => [`jobs/${tag}.json`, `jobs/${tag}.out`]),
    ].sort();
    expect(await listFiles(result.runDir)).toEqual(expected);
  });

  it('writes exactly one ledger line per job, and summary counts that match the job records', async () => {
    const lines = await ledgerLines(result.runDir);
    expect(lines).toHaveLength(50);
    expect(new Set(lines.map((line) => line['tag'])).size).toBe(50);
    const records = await Promise.all(
      tasks.map((task, index) => jobRecord(result.runDir, task.tag ?? `sim-${String(index + 1).padStart(2, '0')}`)),
    );
    const counted: Record<string, number> = {};
    for (const record of records) counted[record.status] = (counted[record.status] ?? 0) + 1;
    expect(counted).toEqual({ completed: 45, failed: 3, timeout: 2 });
    const summary = JSON.parse(await readFile(join(result.runDir, 'summary.json'), 'utf8')) as typeof result.summary;
    expect(summary.byStatus).toEqual({ pending: 0, running: 0, completed: 45, failed: 3, timeout: 2, cancelled: 0 });
    expect(summary).toMatchObject({ status: 'finished', total: 50, concurrency: 4, sessions: 1, runnerPid: null });
    expect(summary.tokens.total).toBe(
      records.reduce(
        (sum, record) =>
          sum + record.usage.inputTokens + record.usage.outputTokens + record.usage.cacheReadTokens + record.usage.cacheWriteTokens,
        0,
      ),
    );
    expect(summary.costUsd).toBeCloseTo(
      records.reduce((sum, record) => sum + (record.costUsd ?? 0), 0),
      10,
    );
    expect(events.filter((event) => event.type === 'job-end')).toHaveLength(50);
  });

  it('records sim jobs with provider, model, exact usage and cost, and CLI jobs with exit code and estimated usage', async () => {
    const haiku = await jobRecord(result.runDir, 'haiku-1');
    expect(haiku).toMatchObject({
      status: 'completed',
      provider: 'sim',
      model: 'claude-haiku-4-5',
      exitCode: null,
      attempts: 1,
      usageEstimated: false,
      simulated: true,
      error: null,
    });
    expect(haiku.costUsd).toBeGreaterThan(0);
    const upper = await jobRecord(result.runDir, 'upper-3');
    expect(upper).toMatchObject({ status: 'completed', exitCode: 0, usageEstimated: true, simulated: false, costUsd: null });
    expect(await readFile(join(result.runDir, 'jobs', 'upper-3.out'), 'utf8')).toContain('SHOUT 3, PLEASE');
    const failed = await jobRecord(result.runDir, 'fail-1');
    expect(failed).toMatchObject({ status: 'failed', exitCode: 1 });
    expect(await readFile(join(result.runDir, 'jobs', 'fail-1.out'), 'utf8')).toContain('quota exhausted');
    const sim = await readFile(join(result.runDir, 'jobs', 'sim-schema.out'), 'utf8');
    expect(typeof (JSON.parse(sim) as { answer: unknown }).answer).toBe('string');
  });

  it('fails a job whose output breaks its schema, with the reason', async () => {
    const record = await jobRecord(result.runDir, 'json-mismatch');
    expect(record.status).toBe('failed');
    expect(record.error).toContain("does not follow the task's schema");
    expect(record.error).toContain('/answer must be string');
    expect(await readFile(join(result.runDir, 'jobs', 'json-mismatch.out'), 'utf8')).toContain('{"answer": 42}');
  });

  it('times out a hanging agent and kills its whole process tree', async () => {
    for (const tag of ['hang-1', 'hang-2']) {
      const record = await jobRecord(result.runDir, tag);
      expect(record).toMatchObject({ status: 'timeout', attempts: 1, exitCode: null });
      expect(record.error).toContain('timed out after 1.5 s');
      const pids = JSON.parse(await readFile(project.path(`${tag}.json`), 'utf8')) as { agent: number; grandchild: number };
      await waitUntil(() => isGone(pids.agent) && isGone(pids.grandchild), `the process tree of ${tag} to be gone`);
    }
  });

  it('retries exactly as configured', async () => {
    expect(await readFile(project.path('flaky.count'), 'utf8')).toBe('3');
    const record = await jobRecord(result.runDir, 'flaky');
    expect(record).toMatchObject({ status: 'completed', attempts: 3, exitCode: 0 });
    expect(await readFile(join(result.runDir, 'jobs', 'flaky.out'), 'utf8')).toContain('succeeded on run 3');
    expect(
      events.filter((event) => event.type === 'job-start' && event.tag === 'flaky').map((event) => (event as { attempt: number }).attempt),
    ).toEqual([1, 2, 3]);
  });
});

describe('checks before anything runs', () => {
  it('refuses a "../x" tag, naming the tag and the task index, and creates no directory', async () => {
    const project = await newProject();
    const run = runBatch({
      tasks: [
        { agent: 'sim', prompt: 'fine' },
        { agent: 'sim', prompt: 'escape', tag: '../x' },
      ],
      source: 'tasks.json',
      runsDir: project.path('runs'),
      concurrency: 2,
      timeoutSeconds: 5,
      retries: 0,
      resolveAgent: resolverFor(project),
    });
    await expect(run).rejects.toBeInstanceOf(ConfigError);
    await expect(run).rejects.toThrow(/\[1\]\.tag: .*"\.\.\/x"/);
    expect(existsSync(project.path('runs'))).toBe(false);
  });

  it('refuses duplicate tags and unknown agents, naming each task', async () => {
    const project = await newProject();
    const base = {
      source: 'tasks.json',
      runsDir: project.path('runs'),
      concurrency: 1,
      timeoutSeconds: 5,
      retries: 0,
      resolveAgent: resolverFor(project),
    };
    await expect(
      runBatch({
        ...base,
        tasks: [
          { agent: 'sim', prompt: 'a', tag: 'same' },
          { agent: 'sim', prompt: 'b', tag: 'Same' },
        ],
      }),
    ).rejects.toThrow(/\[1\]\.tag: tag "Same" is already used by task \[0\]/);
    await expect(
      runBatch({
        ...base,
        tasks: [
          { agent: 'sim', prompt: 'a' },
          { agent: 'nobody', prompt: 'b' },
        ],
      }),
    ).rejects.toThrow(/\[1\]\.agent: Unknown agent "nobody"/);
    expect(existsSync(project.path('runs'))).toBe(false);
  });

  it.each(['cli:my-agent', 'cli:[]', 'cli:["my-agent", 3]', 'cli:["my-agent"'])(
    'refuses the agent spec %s, saying how to write a cli: command',
    async (spec) => {
      const project = await newProject();
      expect(() => resolverFor(project)(spec)).toThrow(`Agent "${spec}": after "cli:" give the command as a JSON array`);
    },
  );
});

describe('interrupt and resume', () => {
  it('records in-flight and pending jobs as cancelled, then resume runs only those and collect keeps task order', async () => {
    const project = await newProject();
    const gate = project.path('gate');
    const tasks: BatchTaskInput[] = [
      { agent: 'sim', prompt: 'first', tag: 'done-1' },
      { agent: 'sim', prompt: 'second', tag: 'done-2' },
      ...Array.from(
        { length: 4 },
        (_, index): BatchTaskInput => ({ agent: cliAgent('gate-agent.mjs', gate), prompt: 'wait', tag: `gated-${index + 1}` }),
      ),
    ];
    const controller = new AbortController();
    let started = 0;
    const first = await runBatch({
      tasks,
      runsDir: project.path('runs'),
      concurrency: 2,
      timeoutSeconds: 30,
      retries: 0,
      resolveAgent: resolverFor(project),
      signal: controller.signal,
      onEvent: (event) => {
        if (event.type !== 'job-start' || !event.tag.startsWith('gated-')) return;
        started += 1;
        if (started === 2) controller.abort();
      },
    });
    expect(first.interrupted).toBe(true);
    expect(first.summary).toMatchObject({ status: 'interrupted', byStatus: { completed: 2, cancelled: 4 } });
    const inFlight = await jobRecord(first.runDir, 'gated-1');
    expect(inFlight).toMatchObject({ status: 'cancelled', attempts: 1 });
    expect(await jobRecord(first.runDir, 'gated-4')).toMatchObject({ status: 'cancelled', attempts: 0, startedAt: null });
    expect(existsSync(join(first.runDir, 'jobs', 'gated-4.out'))).toBe(false);
    expect(await ledgerLines(first.runDir)).toHaveLength(6);
    expect(await batchStatus(first.runDir)).toMatchObject({ status: 'interrupted', active: false, total: 6, running: [] });

    const kept = await stat(join(first.runDir, 'jobs', 'done-1.json'));
    await writeFile(gate, '');
    const resumed = await runBatch({
      resumeDir: first.runDir,
      concurrency: 2,
      timeoutSeconds: 30,
      retries: 0,
      resolveAgent: resolverFor(project),
    });
    expect(resumed.runDir).toBe(first.runDir);
    expect(resumed.summary).toMatchObject({ status: 'finished', sessions: 2, byStatus: { completed: 6, cancelled: 0 } });
    expect((await stat(join(first.runDir, 'jobs', 'done-1.json'))).mtimeMs).toBe(kept.mtimeMs);
    const lines = await ledgerLines(first.runDir);
    expect(
      lines
        .map((line) => `${String(line['tag'])}:${String(line['status'])}`)
        .slice(6)
        .sort(),
    ).toEqual(['gated-1:completed', 'gated-2:completed', 'gated-3:completed', 'gated-4:completed']);

    const combinedPath = await collectBatch(first.runDir);
    expect(combinedPath).toBe(join(first.runDir, 'combined.json'));
    const combined = JSON.parse(await readFile(combinedPath, 'utf8')) as CombinedEntry[];
    expect(combined.map((entry) => entry.tag)).toEqual(tasks.map((task) => task.tag));
    expect(combined[2]).toMatchObject({
      output_path: join(first.runDir, 'jobs', 'gated-1.out'),
      output: 'through the gate',
      status: 'completed',
    });
  });
});

describe('task sources', () => {
  it('reads CSV with quoted commas, quotes and newlines, and names the row and field of a bad cell', () => {
    const csv =
      'agent,prompt,tag,timeout,retries\nsim,"Compare A, B and C","",,\n"sim:claude-haiku-4-5","Line one\nline ""two""",poem,12,1\n';
    expect(parseCsvTasks({ text: csv, source: 'prompts.csv' })).toEqual([
      { agent: 'sim', prompt: 'Compare A, B and C' },
      { agent: 'sim:claude-haiku-4-5', prompt: 'Line one\nline "two"', tag: 'poem', timeout: 12, retries: 1 },
    ]);
    expect(() => parseCsvTasks({ text: 'agent,prompt,timeout\nsim,hi,soon\n', source: 'prompts.csv' })).toThrow(
      /prompts\.csv is invalid:\n {2}- \[0\]\.timeout: /,
    );
    expect(() => parseCsvTasks({ text: 'agent,question\nsim,hi\n', source: 'prompts.csv' })).toThrow(
      /missing column "prompt", unknown column "question"/,
    );
  });

  it('turns stdin lines into one task each for the given agent, and runs them', async () => {
    const tasks = tasksFromLines({ text: 'What is 2+2?\n\n  \nName a colour.\n', agent: 'sim' });
    expect(tasks).toEqual([
      { agent: 'sim', prompt: 'What is 2+2?' },
      { agent: 'sim', prompt: 'Name a colour.' },
    ]);
    expect(() => tasksFromLines({ text: 'hi\n', agent: undefined })).toThrow(/--agent/);
    const project = await newProject();
    const result = await runBatch({
      tasks,
      source: 'stdin',
      runsDir: project.path('runs'),
      concurrency: 2,
      timeoutSeconds: 5,
      retries: 0,
      resolveAgent: resolverFor(project),
    });
    expect(result.summary.byStatus.completed).toBe(2);
  });

  it('gives a second batch in the same second its own directory', async () => {
    const project = await newProject();
    const now = (): Date => new Date('2026-11-22T12:34:56Z');
    const options = {
      tasks: [{ agent: 'sim', prompt: 'hi' }],
      runsDir: project.path('runs'),
      concurrency: 1,
      timeoutSeconds: 5,
      retries: 0,
      resolveAgent: resolverFor(project),
      now,
    };
    const first = await runBatch(options);
    const second = await runBatch(options);
    expect([first.runDir, second.runDir]).toEqual([
      project.path('runs', '2026-11-22_12-34-56'),
      project.path('runs', '2026-11-22_12-34-56-2'),
    ]);
  });
});
