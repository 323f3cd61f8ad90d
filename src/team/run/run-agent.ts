import type { TeamConfig } from '../../config/index.js';
import { AgentTeamError } from '../../errors/index.js';
import { openTeamContext, openTeamStore } from './open-team.js';
import { RoleAgent } from '../agents/role-agent.js';
import type { AgentExitReason } from '../agents/agent-session.js';

/**
 * Runs one role agent of the run in the state file, in this process, until the
 * run ends or `signal` aborts. Used by `agent-team agent --id` and `run --processes`.
 */
export async function runAgent(input: { config: TeamConfig; agentId: string; signal?: AbortSignal }): Promise<AgentExitReason> {
  const member = input.config.roster.find((candidate) => candidate.id === input.agentId);
  if (member === undefined) {
    throw new AgentTeamError(
      'agent_unknown',
      `No agent "${input.agentId}" in the roster (${input.config.roster.map((m) => m.id).join(', ')}). Check --id or orchestrator-config.json.`,
      { exitCode: 2 },
    );
  }
  if (member.isManager) {
    throw new AgentTeamError(
      'agent_is_manager',
      `"${input.agentId}" is the manager; it runs inside \`agent-team run\`, not as a role agent.`,
      {
        exitCode: 2,
      },
    );
  }
  const store = openTeamStore(input.config);
  const state = await store.read();
  const context = openTeamContext({ config: input.config, store, options: state.run.options });
  try {
    return await new RoleAgent(context, input.agentId).run(input.signal);
  } finally {
    context.wake.close();
  }
}
