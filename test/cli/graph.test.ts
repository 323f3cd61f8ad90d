/** Pictures of a run without a browser: `agent-team graph` and the SVGs every run leaves beside its report. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { criticalPath } from '../../src/report/index.js';
import { type TeamState, teamStateSchema } from '../../src/state/index.js';
import { runCommand } from '../support/cli-in-process.js';
import { tempProject, type TempProject } from '../support/temp-project.js';

let project: TempProject;
let state: TeamState;
let runDir: string;

beforeAll(async () => {
  project = await tempProject('agent-team-graph-');
  const run = await runCommand(['run', '--feature', 'Add a shopping cart', '--seed', '3', '--time-scale', '0', '--json'], {
    cwd: project.dir,
  });
  expect(run.code, run.stderr).toBe(0);
  runDir = (JSON.parse(run.stdout) as { files: { dir: string } }).files.dir;
  state = teamStateSchema.parse(JSON.parse(await readFile(join(runDir, 'team-communication.json'), 'utf8')));
});
afterAll(() => project.cleanup());

function wellFormed(svg: string): void {
  expect(XMLValidator.validate(svg)).toBe(true);
  expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
}

describe('agent-team graph', () => {
  it('draws the live plan as Mermaid by default: a node per task, an edge per dependency, the critical path thick', async () => {
    const result = await runCommand(['graph'], { cwd: project.dir });
    expect(result.code, result.stderr).toBe(0);
    const lines = result.stdout.split('\n');
    expect(lines[0]).toBe('flowchart LR');
    expect(lines.filter((line) => /^ {2}t_\w+\[".*"\]:::\w+$/.test(line))).toHaveLength(state.tasks.length);
    const dependencies = state.tasks.reduce((sum, task) => sum + task.dependsOn.length, 0);
    expect(lines.filter((line) => / (-->|==>) /.test(line))).toHaveLength(dependencies);
    const path = criticalPath(state.tasks);
    expect(path.length).toBeGreaterThan(1);
    expect(lines.filter((line) => line.includes(' ==> '))).toHaveLength(path.length - 1);
  });

  it('draws DOT and an SVG of a recorded run, one node per task coloured by its status', async () => {
    const runId = state.run.id;
    const dot = await runCommand(['graph', '--run', runId, '--format', 'dot'], { cwd: project.dir });
    expect(dot.code, dot.stderr).toBe(0);
    expect(dot.stdout).toMatch(/^digraph plan \{/);
    expect(dot.stdout.match(/^ {2}"[^"]+" \[label=/gm)).toHaveLength(state.tasks.length);

    const svg = await runCommand(['graph', '--run', runId, '--format', 'svg', '--out', 'plan.svg'], { cwd: project.dir });
    expect(svg.code, svg.stderr).toBe(0);
    expect(svg.stdout).toContain(`Wrote the plan of run ${runId} (${state.tasks.length} tasks, svg)`);
    const text = await readFile(project.path('plan.svg'), 'utf8');
    wellFormed(text);
    const nodes = [...text.matchAll(/<g class="task( critical)?" data-task-id="([^"]+)" data-status="([^"]+)">/g)];
    expect(nodes.map((node) => [node[2], node[3]])).toEqual(state.tasks.map((task) => [task.id, task.status]));
    expect(nodes.filter((node) => node[1] !== undefined).map((node) => node[2])).toEqual(
      state.tasks.map((task) => task.id).filter((id) => criticalPath(state.tasks).includes(id)),
    );
  });

  it('refuses an unknown run naming the recent ones, and a project without a run', async () => {
    const unknown = await runCommand(['graph', '--run', 'no-such-run'], { cwd: project.dir });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`--run no-such-run: no run record`);
    expect(unknown.stderr).toContain(`Recent runs: ${state.run.id}.`);
    const empty = await tempProject('agent-team-graph-empty-');
    try {
      const none = await runCommand(['graph'], { cwd: empty.dir });
      expect(none.code).toBe(4);
    } finally {
      await empty.cleanup();
    }
  });
});

describe('the pictures of a run record', () => {
  it('are valid SVG beside report.md, which shows them: the plan, a timeline lane per agent, a bar per agent with spend', async () => {
    const report = await readFile(join(runDir, 'report.md'), 'utf8');
    for (const file of ['plan.svg', 'timeline.svg', 'cost-by-agent.svg']) {
      expect(report).toContain(`](${file})`);
      wellFormed(await readFile(join(runDir, file), 'utf8'));
    }
    const ledger = (await readFile(join(runDir, 'run_ledger.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; agentId?: string; taskId?: string; costUsd?: number });
    const timeline = await readFile(join(runDir, 'timeline.svg'), 'utf8');
    const claims = ledger.filter((entry) => entry.type === 'task-claim');
    const workSpans = [...timeline.matchAll(/data-kind="work" data-task-id="([^"]+)"/g)].map((match) => match[1]);
    expect(workSpans.sort()).toEqual(claims.map((claim) => claim.taskId).sort());
    const cost = await readFile(join(runDir, 'cost-by-agent.svg'), 'utf8');
    const spenders = new Set(ledger.filter((entry) => entry.type === 'model-call').map((entry) => entry.agentId));
    const bars = [...cost.matchAll(/<rect class="bar" data-name="([^"]+)" data-cost-usd="([\d.e-]+)"/g)];
    expect(new Set(bars.map((bar) => bar[1]))).toEqual(spenders);
    const spent = ledger.filter((entry) => entry.type === 'model-call').reduce((sum, entry) => sum + (entry.costUsd ?? 0), 0);
    expect(bars.reduce((sum, bar) => sum + Number(bar[2]), 0)).toBeCloseTo(spent, 3);
  });
});
