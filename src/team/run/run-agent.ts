import type { TeamConfig } from '../../config/index.js';
import { AgentTeamError } from '../../errors/index.js';
import { describeTeamStore, openTeamContext, openTeamStore } from './open-team.js';
import { RoleAgent } from '../agents/role-agent.js';
import type { AgentExitReason } from '../agents/agent-session.js';
import { fenceStore, OWNERSHIP_LOST_EXIT_CODE } from '../agents/fenced-store.js';
import type { TeamStore } from '../agents/team-context.js';
import { configOfRun } from './run-design.js';
import { withRunCorrelation } from './run-span.js';

/**
 * Runs one role agent of the run in the state file, in this process, until the
 * run ends or `signal` aborts. Used by `agent-team agent --id` and `run --processes`.
 */
export async function runAgent(input: {
  config: TeamConfig;
  agentId: string;
  /** The lease of the run's owner this agent works for; default: the current owner's. */
  lease?: string | undefined;
  signal?: AbortSignal;
}): Promise<AgentExitReason> {
  const raw = openTeamStore(input.config);
  try {
    return await joinRun({ config: input.config, agentId: input.agentId, lease: input.lease, signal: input.signal, raw });
  } finally {
    await raw.close();
  }
}

/** The roster member `agentId` of the run's team: a role agent, else an error naming the roster. */
function checkRoleAgent(config: TeamConfig, agentId: string): void {
  const member = config.roster.find((candidate) => candidate.id === agentId);
  if (member === undefined) {
    throw new AgentTeamError(
      'agent_unknown',
      `No agent "${agentId}" in the roster (${config.roster.map((m) => m.id).join(', ')}). Check --id or orchestrator-config.json.`,
      { exitCode: 2 },
    );
  }
  if (member.isManager) {
    throw new AgentTeamError('agent_is_manager', `"${agentId}" is the manager; it runs inside \`agent-team run\`, not as a role agent.`, {
      exitCode: 2,
    });
  }
}

/** Checks that the run is live under `lease` (default: its owner's) and runs the agent in it until it is done. */
async function joinRun(input: {
  config: TeamConfig;
  agentId: string;
  lease: string | undefined;
  signal: AbortSignal | undefined;
  raw: TeamStore;
}): Promise<AgentExitReason> {
  const { raw } = input;
  if (!(await raw.exists())) {
    throw new AgentTeamError(
      'run_missing',
      `No run to join: ${describeTeamStore(input.config)} does not exist. Start one with agent-team run --feature "…".`,
      {
        exitCode: 4,
      },
    );
  }
  const state = await raw.read();
  // The agent works as the run's team: the design the run started with (its roster, its tiers) over the config files.
  const config = configOfRun(input.config, state);
  checkRoleAgent(config, input.agentId);
  const lease = input.lease ?? state.run.owner?.lease;
  if (lease === undefined || state.run.owner === null || state.run.owner.lease !== lease) {
    throw new AgentTeamError(
      'run_not_live',
      `Run ${state.run.id} is ${state.run.status} and ${state.run.owner === null ? 'has no owner' : 'belongs to another owner now'}: ` +
        'an agent joins a run that `agent-team run` is running. Start or resume the run first.',
      { exitCode: OWNERSHIP_LOST_EXIT_CODE },
    );
  }
  // Every write of this agent presents the owner's lease: once the run changes hands, this agent can no longer change it.
  const store = fenceStore(raw, lease);
  const context = openTeamContext({ config, store, options: state.run.options });
  try {
    // An agent process logs and traces as part of its run.
    return await withRunCorrelation(state, () => new RoleAgent(context, input.agentId).run(input.signal));
  } finally {
    context.wake.close();
  }
}
