import { z } from 'zod';
import { modelPriceSchema, providerNameSchema, providersConfigSchema } from './providers-config.js';

/** One member of the team roster. */
export const rosterAgentSchema = z
  .object({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lowercase letters, digits, "-" or "_"')
      .describe('Unique agent id, used in the state file, the ledger and `agent-team agent --id`.'),
    role: z.string().min(1).describe('Role key from .ai-agents/config.yml (e.g. backend_developer).'),
    max_concurrent_tasks: z.number().int().positive().default(1).describe('How many tasks this agent may work on at once.'),
  })
  .strict();

/** How agents coordinate. */
export const coordinationSchema = z
  .object({
    check_interval_seconds: z
      .number()
      .positive()
      .default(30)
      .describe('Polling fallback: agents also wake at once when the state file changes.'),
    max_iterations: z
      .number()
      .int()
      .positive()
      .default(50)
      .describe('Most work calls one agent makes in a run; an agent that reaches it stops.'),
    auto_merge: z.boolean().default(false).describe('Merge finished branches in workspace runs; else list the commands to merge them.'),
    manager: z.string().default('manager').describe('Id of the roster agent that plans and resolves blockers.'),
    task_timeout_seconds: z
      .number()
      .positive()
      .default(600)
      .describe('A model call on a task that takes longer is aborted and the attempt fails.'),
    max_attempts: z.number().int().positive().default(2).describe('Attempts per task before it fails (invalid output, timeouts).'),
    heartbeat_seconds: z
      .number()
      .positive()
      .default(10)
      .describe('Agents refresh their heartbeat this often; the manager releases tasks of agents silent for 3 beats.'),
    lease_seconds: z
      .number()
      .positive()
      .default(30)
      .describe(
        "How long a run's lease lasts; its owner renews it every third of this. A run whose lease ran out, or whose owner process is gone from this host, may be taken over.",
      ),
    agent_restarts: z
      .number()
      .int()
      .nonnegative()
      .default(3)
      .describe('With --processes: how many times a role agent process that dies is started again before its role is given up.'),
    lock_stale_ms: z
      .number()
      .int()
      .min(2000)
      .default(10000)
      .describe('A lock older than this is taken over (its holder is presumed dead).'),
  })
  .strict();

/** Spend limits; null means no limit. */
export const budgetConfigSchema = z
  .object({
    max_usd: z.number().positive().nullable().default(null).describe('Hard limit on the run cost in USD.'),
    max_tokens: z.number().int().positive().nullable().default(null).describe('Hard limit on all tokens of the run.'),
    per_agent_usd: z.number().positive().nullable().default(null).describe('Hard limit per agent in USD.'),
    per_agent_tokens: z.number().int().positive().nullable().default(null).describe('Hard limit per agent in tokens.'),
  })
  .strict();

/** Which provider answers, and how the simulation behaves. */
export const providerConfigSchema = z
  .object({
    name: providerNameSchema
      .default('sim')
      .describe('Default provider of every role: sim (no API key, deterministic), anthropic, openai, or cli.'),
    seed: z.number().int().default(1).describe('Seed of the sim provider: same seed, same run.'),
    time_scale: z
      .number()
      .nonnegative()
      .default(0.1)
      .describe('Multiplier on simulated model latency (0 = instant, 1 = as slow as the real model).'),
    blocker_rate: z.number().min(0).max(1).default(0.3).describe('Share of sim tasks whose agent raises a blocker on the first attempt.'),
    gate_failure_rate: z
      .number()
      .min(0)
      .max(1)
      .default(0.1)
      .describe('Workspace runs: share of sim tasks whose first change carries a flaw the security gate catches.'),
    latency_ms: z
      .number()
      .nonnegative()
      .nullable()
      .default(null)
      .describe('Sim only: every call takes exactly this long (before time_scale) instead of a per-model profile; for benchmarks.'),
  })
  .strict();

/** A reviewer that reads a finished task's diff and passes or fails it before the merge. */
export const gateConfigSchema = z
  .object({
    name: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]*$/, 'must be lowercase letters, digits, "-" or "_"')
      .describe('Gate name; its prompt is gates/<name>.md in the prompt library.'),
    agent: z
      .string()
      .nullable()
      .default(null)
      .describe('Roster agent whose provider, model and budget answer the gate; null: the manager.'),
    model: z.string().nullable().default(null).describe("Model id for this gate; null: the agent's medium-tier model."),
    roles: z.array(z.string().min(1)).nullable().default(null).describe('Only tasks of these roles go through the gate; null: every task.'),
    paths: z
      .array(z.string().min(1))
      .nullable()
      .default(null)
      .describe('Only tasks that change a file under one of these paths go through the gate; null: every task.'),
  })
  .strict();

/** Agents that change code: each task in its own git worktree, with file tools, merged back with the tests. */
export const workspaceConfigSchema = z
  .object({
    enabled: z.boolean().default(false).describe('Work in git worktrees of project_dir (same as --workspace project_dir).'),
    test_command: z
      .array(z.string().min(1))
      .min(1)
      .nullable()
      .default(['npm', 'test'])
      .describe('Run after every merge; a merge that breaks it is undone (null: no tests).'),
    setup_command: z
      .array(z.string().min(1))
      .min(1)
      .nullable()
      .default(null)
      .describe(
        'Run in every new worktree before anyone works or tests in it, e.g. ["npm","ci"] (worktrees start without installed dependencies); null: none.',
      ),
    allow_commands: z
      .array(z.array(z.string().min(1)).min(1))
      .nullable()
      .default(null)
      .describe('Commands agents may run (argv prefixes); null: only the test command.'),
    sandbox: z
      .enum(['bwrap', 'off'])
      .default('bwrap')
      .describe(
        'How agents\' commands and the tests after merges run. "bwrap": confined by bubblewrap (write only the worktree and a private /tmp, no network); without a working bwrap they are refused. "off": unconfined.',
      ),
    max_steps: z.number().int().positive().default(12).describe('Most tool-loop steps per task attempt.'),
    command_timeout_seconds: z.number().positive().default(300).describe('A command (and its process tree) is killed after this.'),
    output_cap_bytes: z.number().int().positive().default(100_000).describe('Most bytes of one tool result.'),
    gates: z
      .array(gateConfigSchema)
      .default([{ name: 'security' }, { name: 'compliance' }].map((gate) => gateConfigSchema.parse(gate)))
      .describe('Reviewers every finished task passes before its merge; a failure sends it back to its agent once, then fails it.'),
    diff_cap_bytes: z.number().int().positive().default(60_000).describe('Most bytes of a diff a gate reads; the rest is cut with a note.'),
  })
  .strict();

/** `orchestrator-config.json`: the team roster and how it runs. */
export const orchestratorConfigSchema = z
  .object({
    $schema: z.string().optional().describe('Path or URL of the JSON Schema, for editors.'),
    project_dir: z.string().default('.').describe('Project the team works on, relative to this file.'),
    communication_file: z
      .string()
      .default('.ai-agents/state/team-communication.json')
      .describe('The live team state, relative to project_dir.'),
    agents_file: z
      .string()
      .default('.ai-agents/config.yml')
      .describe('Per-role prompts and models, relative to project_dir; the built-in one is used when absent.'),
    prompts_dir: z.string().default('prompts').describe('Prompt library, relative to project_dir; the built-in one is used when absent.'),
    runs_dir: z.string().default('.agent-runs').describe('Where finished runs are kept, relative to project_dir.'),
    agents: z.array(rosterAgentSchema).min(2).describe('The roster: a manager and at least one role agent.'),
    coordination: coordinationSchema.prefault({}),
    budget: budgetConfigSchema.prefault({}),
    provider: providerConfigSchema.prefault({}),
    providers: providersConfigSchema.prefault({}).describe('Settings of the anthropic, openai and cli providers.'),
    workspace: workspaceConfigSchema.prefault({}),
    prices: z
      .record(z.string(), modelPriceSchema)
      .default({})
      .describe('Prices per model, USD per million tokens: add models or override the built-in table.'),
  })
  .strict();

/** Parsed `orchestrator-config.json` with defaults applied. */
export type OrchestratorConfig = z.infer<typeof orchestratorConfigSchema>;
/** One parsed roster entry. */
export type RosterAgent = z.infer<typeof rosterAgentSchema>;
/** One parsed gate. */
export type GateConfig = z.infer<typeof gateConfigSchema>;
