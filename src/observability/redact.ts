// Keys of Anthropic (sk-ant-…), OpenAI (sk-…, sk-proj-…) and bearer tokens.
const SECRET_PATTERNS: readonly RegExp[] = [/sk-ant-[A-Za-z0-9_-]{8,}/g, /sk-[A-Za-z0-9_-]{16,}/g, /Bearer\s+[A-Za-z0-9._~+/-]{8,}/g];
const SECRET_KEYS = /^(authorization|x-api-key|api[-_]?key|apikey|password|secret|token)$/i;

// Secrets of this process that match no pattern (the service's bearer token), hidden wherever they appear.
const registered = new Set<string>();

/** Hides `secret` (8 characters or more) in everything redacted from now on, e.g. the service's token. */
export function registerSecret(secret: string | undefined): void {
  if (secret !== undefined && secret.length >= 8) registered.add(secret);
}

/** Replaces anything that looks like an API key or bearer token in a string. */
export function redactText(text: string): string {
  let result = text;
  for (const pattern of SECRET_PATTERNS) result = result.replace(pattern, '[redacted]');
  for (const name of ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'AGENT_TEAM_API_TOKEN']) {
    const value = process.env[name];
    if (value !== undefined && value.length >= 8) result = result.split(value).join('[redacted]');
  }
  for (const secret of registered) result = result.split(secret).join('[redacted]');
  return result;
}

/** True for a field name that holds a secret (authorization, x-api-key, apiKey, password, token, …). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.test(key);
}

/** Deep copy with secret-named keys and secret-looking strings redacted. */
export function redact<T>(value: T): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (Array.isArray(value)) return value.map((item: unknown) => redact(item)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = isSecretKey(key) ? '[redacted]' : redact(item);
    return out as T;
  }
  return value;
}
