import { configJsonSchema, loadTeamConfig, pickModelForRole, type SchemaTarget } from '../../config/index.js';
import { UsageError } from '../../errors/index.js';
import { composeGatePrompt, composeSystemPrompt } from '../../prompts/index.js';
import { countTokens } from '../../providers/index.js';
import { paint, printJson, println, type Terminal } from '../terminal.js';

/** `agent-team config schema`: the JSON Schema of a config file, for editors. */
export function configSchema(options: { target?: string | undefined; terminal: Terminal }): number {
  const target = options.target ?? 'orchestrator';
  if (target !== 'orchestrator' && target !== 'agents') {
    throw new UsageError(
      `Unknown schema "${target}". Use --target orchestrator (orchestrator-config.json) or --target agents (.ai-agents/config.yml).`,
    );
  }
  printJson(options.terminal, configJsonSchema(target as SchemaTarget));
  return 0;
}

/** `agent-team config check`: loads and cross-checks the config, composes every prompt, and explains the result. */
export function configCheck(options: { config?: string | undefined; json?: boolean | undefined; cwd: string; terminal: Terminal }): number {
  const { terminal } = options;
  const config = loadTeamConfig({ configPath: options.config, cwd: options.cwd });
  const agents = config.roster.map((member) => {
    const prompt = composeSystemPrompt(config, member.id);
    return {
      id: member.id,
      role: member.role,
      manager: member.isManager,
      maxConcurrentTasks: member.maxConcurrentTasks,
      provider: member.roleConfig.provider ?? config.orchestrator.provider.name,
      model: pickModelForRole(member.roleConfig, member.roleConfig.tiers ?? config.agentsConfig.tiers),
      prompt: prompt.parts.map((part) => part.source),
      promptTokens: countTokens(prompt.text),
    };
  });
  const workspace = config.orchestrator.workspace;
  const gates = workspace.gates.map((gate) => {
    const prompt = composeGatePrompt(config, gate.name);
    return {
      name: gate.name,
      agent: gate.agent ?? config.manager.id,
      model: gate.model,
      roles: gate.roles,
      paths: gate.paths,
      prompt: prompt.parts[0]?.source ?? '',
      promptTokens: countTokens(prompt.text),
    };
  });
  const report = {
    ok: true,
    orchestratorConfig: config.configFile ?? 'built-in default',
    agentsConfig: config.agentsFile,
    promptsDir: config.promptsDir,
    stateFile: config.stateFile,
    runsDir: config.runsDir,
    provider: config.orchestrator.provider,
    coordination: config.orchestrator.coordination,
    budget: config.orchestrator.budget,
    agents,
    workspace: {
      enabled: workspace.enabled,
      projectDir: config.projectDir,
      autoMerge: config.orchestrator.coordination.auto_merge,
      testCommand: workspace.test_command,
      gates,
    },
  };
  if (options.json === true) {
    printJson(terminal, report);
    return 0;
  }
  println(terminal, paint(terminal, 'green', 'Configuration is valid.'));
  println(terminal, `  orchestrator config  ${report.orchestratorConfig}`);
  println(terminal, `  agents config        ${report.agentsConfig}`);
  println(terminal, `  prompts              ${report.promptsDir}`);
  println(terminal, `  state file           ${report.stateFile}`);
  println(
    terminal,
    `  provider             ${report.provider.name} (seed ${report.provider.seed}, ` +
      `time scale ${report.provider.time_scale}, blocker rate ${report.provider.blocker_rate})`,
  );
  const budget = report.budget;
  const usdLimit = budget.max_usd === null ? 'no USD limit' : `$${budget.max_usd}`;
  const tokenLimit = budget.max_tokens === null ? '' : `, ${budget.max_tokens} tokens`;
  println(terminal, `  budget               ${usdLimit}${tokenLimit}`);
  println(terminal);
  for (const agent of agents) {
    const slots = agent.manager ? 'manager ' : `x${agent.maxConcurrentTasks}      `;
    const model = `${agent.provider}:${agent.model}`.padEnd(32);
    const promptTokens = String(agent.promptTokens).padStart(5);
    println(terminal, `  ${agent.id.padEnd(16)} ${agent.role.padEnd(20)} ${slots} ${model} ${promptTokens} prompt tokens`);
    println(terminal, paint(terminal, 'dim', `  ${''.padEnd(16)} ${agent.prompt.join(' + ')}`));
  }
  println(terminal);
  println(
    terminal,
    `  workspace            ${workspace.enabled ? `on, in ${config.projectDir}` : 'off (run --workspace PATH turns it on)'}; ` +
      `${config.orchestrator.coordination.auto_merge ? 'auto merge' : 'branches left to merge by hand'}; ` +
      `tests ${workspace.test_command === null ? 'none' : workspace.test_command.join(' ')}`,
  );
  for (const gate of gates) {
    const scope = [
      gate.roles === null ? null : `roles ${gate.roles.join(', ')}`,
      gate.paths === null ? null : `paths ${gate.paths.join(', ')}`,
    ]
      .filter((part) => part !== null)
      .join('; ');
    const on = gate.model === null ? '' : ` on ${gate.model}`;
    const applies = scope === '' ? ', every task' : `, ${scope}`;
    println(
      terminal,
      `  gate ${gate.name.padEnd(11)} by ${gate.agent}${on}${applies}  ${String(gate.promptTokens).padStart(5)} prompt tokens`,
    );
  }
  return 0;
}
