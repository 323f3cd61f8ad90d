import { plainText } from '../observability/index.js';
import type { TeamState } from '../state/index.js';
import { dependencyOrder } from '../state/index.js';
import type { RunSummary, SpendLine } from './summary.js';

function usd(value: number): string {
  return `$${value.toFixed(4)}`;
}

function spendTable(title: string, lines: Record<string, SpendLine>): string[] {
  const rows = Object.entries(lines).sort((a, b) => b[1].costUsd - a[1].costUsd);
  return [
    `### ${title}`,
    '',
    '| | calls | input | output | cache read | cache write | cost |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      ([name, line]) =>
        `| ${name} | ${line.calls} | ${line.usage.inputTokens} | ${line.usage.outputTokens} | ` +
        `${line.usage.cacheReadTokens} | ${line.usage.cacheWriteTokens} | ${usd(line.costUsd)} |`,
    ),
    '',
  ];
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** `report.md`: the run for a person: outcome, tasks, blockers, cost tables; plain text, no control characters. */
export function renderReport(state: TeamState, summary: RunSummary, pictures: readonly { file: string; alt: string }[] = []): string {
  const simulated = summary.simulated ? ' (simulated: tokens, cost and model time are a forecast)' : '';
  const lines: string[] = [
    `# Run ${summary.runId}${summary.simulated ? ' — simulated' : ''}`,
    '',
    `**Feature:** ${summary.feature}`,
    '',
    `**Outcome:** ${summary.status}${summary.endReason === null ? '' : ` — ${summary.endReason}`}`,
    '',
    `**Provider:** ${summary.provider} (seed ${summary.seed})${summary.resumes > 0 ? `, resumed ${summary.resumes} time(s)` : ''}`,
    '',
    `**Spend${simulated}:** ${summary.tokens.total} tokens in ${summary.calls} calls, ${usd(summary.costUsd)}; ` +
      `cache hit ratio ${(summary.cacheHitRatio * 100).toFixed(1)}%; ` +
      `on the top tier alone it would have cost ${usd(summary.topTierCostUsd)}`,
    '',
    `**Time:** wall ${summary.time.wallMs === null ? 'n/a' : `${(summary.time.wallMs / 1000).toFixed(1)} s`}, ` +
      `model time ${(summary.time.modelMs / 1000).toFixed(1)} s summed over calls${summary.simulated ? ' (simulated)' : ''}`,
    '',
    `**Team:** ${summary.metrics.successful} of ${summary.metrics.totalTasks} task(s) done, ${summary.metrics.failed} failed or cancelled; ` +
      `${summary.metrics.parallelTime} in parallel for ${summary.metrics.estimatedSequentialTime} of work (speedup ${summary.metrics.speedup}; ${summary.metrics.timeBasis})` +
      (summary.workspace === null
        ? ''
        : `; in ${summary.workspace}: ${summary.metrics.gateBlocks} gate block(s), ${summary.metrics.testFailures} test failure(s)`),
    '',
    ...(pictures.length === 0 ? [] : ['## Pictures', '', ...pictures.map((picture) => `![${picture.alt}](${picture.file})`), '']),
    '## Tasks',
    '',
    '| id | role | assignee | status | title | result |',
    '|---|---|---|---|---|---|',
    ...state.tasks.map(
      (task) =>
        `| ${task.id} | ${task.role} | ${task.assignee ?? ''} | ${task.status} | ` +
        `${escapeCell(task.title)} | ${escapeCell(task.result?.summary ?? task.failure ?? '')} |`,
    ),
    '',
    '## Blockers',
    '',
  ];
  if (state.blockers.length === 0) lines.push('None.', '');
  for (const blocker of state.blockers) {
    lines.push(
      `- **${blocker.id}** on ${blocker.taskId}, raised by ${blocker.raisedBy}${blocker.kind === 'loop' ? ' (loop detected)' : ''}: ${blocker.question}`,
      `  - ${blocker.status === 'resolved' ? `${blocker.resolutionKind}: ${blocker.resolution ?? ''}` : blocker.status}`,
    );
  }
  lines.push(
    '',
    '## Cost',
    '',
    ...spendTable('By agent', summary.byAgent),
    ...spendTable('By model', summary.byModel),
    ...spendTable('By task', summary.byTask),
    ...overshootSection(summary),
  );
  lines.push(...qualitySection(summary));
  lines.push(...branchSection(state));
  if (state.run.integrationSummary !== null) lines.push('## Integration', '', state.run.integrationSummary, '');
  // Model text (questions, summaries, failures) may carry terminal escapes: none reaches the file.
  return plainText(`${lines.join('\n')}\n`);
}

/** Calls whose vendor reported more than they held: the run stopped taking new calls after the first. */
function overshootSection(summary: RunSummary): string[] {
  if (summary.overshoots.length === 0) return [];
  return [
    '### Holds exceeded',
    '',
    'A vendor counted more than the call held; the spend is recorded as reported and the run stopped taking new calls.',
    '',
    '| agent | task | model | held by | held | reported | over by |',
    '|---|---|---|---|---:|---:|---:|',
    ...summary.overshoots.map(
      (line) =>
        `| ${line.agentId} | ${line.taskId ?? '(run)'} | ${line.model} | ${line.basis} | ${line.heldTokens} tokens, ${usd(line.heldUsd)} | ` +
        `${line.reportedTokens} tokens, ${usd(line.reportedUsd)} | ${line.overTokens} tokens, ${usd(line.overUsd)} |`,
    ),
    '',
  ];
}

/** Workspace runs: what became of each task's branch, the gates' verdicts, and the commands left to a person. */
function branchSection(state: TeamState): string[] {
  const withBranch = state.tasks.filter((task) => task.branch !== null || task.wip !== null);
  if (withBranch.length === 0) return [];
  const lines = ['## Branches', ''];
  for (const task of withBranch) {
    const gates = task.gates.filter((verdict) => !verdict.passed);
    lines.push(`- ${task.id} \`${task.branch ?? '(none)'}\`: ${task.merge ?? task.status}`);
    for (const verdict of gates) lines.push(`  - ${verdict.name} gate failed (round ${verdict.round}): ${verdict.reasons.join('; ')}`);
    if (task.wip !== null) lines.push(`  - partial work saved on \`${task.wip}\``);
  }
  const ready = dependencyOrder(state.tasks).filter((task) => task.merge?.startsWith('ready:') === true && task.branch !== null);
  const integration = `agent-team/${state.run.id}/integration`;
  const merged = state.tasks.some((task) => task.merge?.startsWith('merged:') === true);
  lines.push('');
  if (ready.length > 0) {
    lines.push(
      'To merge the branches that passed their gates, in plan order (dependencies first):',
      '',
      '```sh',
      ...ready.map((task) => `git merge --no-ff ${task.branch ?? ''}`),
      '```',
      '',
    );
  }
  if (merged) {
    lines.push(
      `The merged work is on \`${integration}\`. To take it into your branch:`,
      '',
      '```sh',
      `git merge --no-ff ${integration}`,
      '```',
      '',
    );
  }
  lines.push('`agent-team clean` removes the worktrees and merged branches of finished runs.', '');
  return lines;
}

/** The sim's quality figures and the design's hash; nothing for a real run. */
function qualitySection(summary: RunSummary): string[] {
  const { quality } = summary;
  if (quality === null) return [];
  const escaped = Object.entries(quality.byTask)
    .filter(([, counts]) => counts.escaped > 0)
    .map(([taskId, counts]) => `${taskId} (${counts.escaped})`);
  return [
    '## Quality (sim model)',
    '',
    `Defects introduced ${quality.introduced}, caught ${quality.caught} (gates ${quality.caughtByGates}, QA ${quality.caughtByQa}, ` +
      `review ${quality.caughtByReview}), escaped ${quality.escaped}` +
      (escaped.length === 0 ? '.' : `: ${escaped.join(', ')}.`) +
      (summary.design === null ? '' : ` Design ${summary.design.hash}.`),
    '',
  ];
}
