/**
 * Says at the start of a workspace run how agents' commands will run: the
 * run warns once when they are unconfined, and refuses to start when tests
 * after merges would need a sandbox this machine does not have.
 */
import type { TeamConfig } from '../../config/index.js';
import { AgentTeamError } from '../../errors/index.js';
import { getLogger } from '../../observability/index.js';
import { probeSandbox, SANDBOX_OPT_OUT } from '../../workspace/index.js';

const log = getLogger('team:workspace');

/** Warns when commands run unconfined or cannot run at all; throws when the merges' tests could not run. */
export async function checkCommandSandbox(config: TeamConfig): Promise<void> {
  const settings = config.orchestrator.workspace;
  if (settings.sandbox === 'off') {
    log.warn('workspace.sandbox is "off": agents\' commands and the tests after merges run unconfined, with your permissions and network');
    return;
  }
  const sandbox = await probeSandbox();
  if (sandbox.available) return;
  const where = config.configFile ?? 'orchestrator-config.json';
  // Finding out at the first merge, after the agents' work is paid for, would waste the run.
  if (config.orchestrator.coordination.auto_merge && settings.test_command !== null) {
    throw new AgentTeamError(
      'workspace_sandbox_unavailable',
      `The tests after each merge (${settings.test_command.join(' ')}) run in a sandbox, and none is available: ${sandbox.reason}. ` +
        `${SANDBOX_OPT_OUT.replace('orchestrator-config.json', where)}`,
      { exitCode: 2 },
    );
  }
  log.warn(`no sandbox for agents' commands (${sandbox.reason}): run_command will be refused. ${SANDBOX_OPT_OUT}`);
}
