import { STORE_ENV, TEAM_PARAMETER } from '../config/index.js';

/** The help text of `-c, --config`, the same on every team command. */
export const CONFIG_OPTION_HELP = 'orchestrator-config.json to use (default: ./orchestrator-config.json, else the built-in team)';

/** The help text of `--store`, the same on every command that takes it. */
export const STORE_OPTION_HELP =
  `where the team state lives: "file" (default) or postgres://user:password@host:5432/db[?${TEAM_PARAMETER}=name] ` +
  `(default: $${STORE_ENV}; the team name defaults to the project folder's name)`;

/** A command's store: its `--store` value, else AGENT_TEAM_STORE, with where it came from for messages. */
export function storeChoice(flag: string | undefined): { store: string | undefined; storeFrom: string } {
  if (flag !== undefined) return { store: flag, storeFrom: '--store' };
  const fromEnv = process.env[STORE_ENV];
  return fromEnv === undefined || fromEnv === '' ? { store: undefined, storeFrom: '--store' } : { store: fromEnv, storeFrom: STORE_ENV };
}

/** Help of `--roster` (run, plan). */
export const ROSTER_OPTION_HELP = 'the roster: a JSON/YAML list of agents as under "agents" in orchestrator-config.json (replaces it)';
/** Help of `--tiers` (run, plan). */
export const TIERS_OPTION_HELP = 'a JSON/YAML map tier -> model as under "tiers:" in .ai-agents/config.yml (replaces those tiers)';
