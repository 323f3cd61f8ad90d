import { ProviderError } from '../errors/index.js';
import { SeededRandom } from './seeded-random.js';
import type { SimPlanContext, SimRosterRole, SimScenario } from './sim-context.js';

/** A plan needs someone to do the work: the roster has no worker role. */
function noRoles(): ProviderError {
  return new ProviderError({
    provider: 'sim',
    message: 'the planner needs at least one worker role in the roster',
    failure: 'invalid_request',
  });
}

/** A planned task in the manager's output format. */
export interface SimPlannedTask {
  id: string;
  title: string;
  description: string;
  role: string;
  dependsOn: string[];
  files: string[];
  complexity: 'simple' | 'medium' | 'complex';
  acceptanceCriteria: string[];
}

/** What kind of work a role key suggests. */
export type RoleKind = 'backend' | 'frontend' | 'mobile' | 'qa' | 'review' | 'developer';

/** Classifies a role key (`backend_developer`, `qa_tester`, …). */
export function roleKind(role: string): RoleKind {
  if (/backend|server|api/.test(role)) return 'backend';
  if (/frontend|web_ui|ui_/.test(role)) return 'frontend';
  if (/ios|android|mobile/.test(role)) return 'mobile';
  if (/qa|test/.test(role)) return 'qa';
  if (/review|security|compliance/.test(role)) return 'review';
  return 'developer';
}

const LEADING_VERBS = /^(add|implement|build|create|support|introduce|enable|make|write|design)\s+/i;

/** The feature's subject and detail: "Add user auth with email" → "user auth", "email". */
export function featureSubject(feature: string): { subject: string; detail: string; slug: string } {
  const cleaned = feature
    .trim()
    .replace(/[.!]+$/, '')
    .replace(LEADING_VERBS, '')
    .replace(/^(a|an|the)\s+/i, '');
  const [head, ...rest] = cleaned.split(/\s+(?:with|using|via|for|including|that)\s+/i);
  const subject = (head ?? cleaned).toLowerCase().split(/\s+/).slice(0, 5).join(' ') || 'the feature';
  const slug =
    subject
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .slice(0, 40) || 'feature';
  return { subject, detail: rest.join(' with ').toLowerCase(), slug };
}

function securityCriteria(feature: string): string[] {
  const criteria: string[] = [];
  if (/auth|login|password|sign.?in|account/i.test(feature)) {
    criteria.push('Passwords are hashed with a slow, salted hash; no secret is logged');
    criteria.push('Failed sign-ins are rate limited and answer with a generic error');
  }
  if (/pay|checkout|card|billing|invoice/i.test(feature)) {
    criteria.push('Amounts are integers in minor units; card data never touches our servers');
  }
  if (/upload|file|image|pdf/i.test(feature)) {
    criteria.push('Uploads are size-limited and type-checked before storage');
  }
  return criteria;
}

/** Plans the standard shape: contract first, parallel implementation, tests, review last. */
function standardPlan(context: SimPlanContext, random: SeededRandom): SimPlannedTask[] {
  const { subject, detail, slug } = featureSubject(context.feature);
  const about = detail === '' ? subject : `${subject} (${detail})`;
  const byKind = (kind: RoleKind): SimRosterRole[] => context.roles.filter((r) => roleKind(r.role) === kind);
  const developers = context.roles.filter((r) => !['qa', 'review'].includes(roleKind(r.role)));
  const contractOwner = byKind('backend')[0] ?? developers[0] ?? context.roles[0];
  if (contractOwner === undefined) throw noRoles();
  const extra = securityCriteria(context.feature);
  const tasks: SimPlannedTask[] = [];
  const add = (task: Omit<SimPlannedTask, 'id'>): string => {
    const id = `T${tasks.length + 1}`;
    tasks.push({ id, ...task });
    return id;
  };

  const contract = add({
    title: `Define the API contract for ${subject}`,
    description: `Write the request/response contract for ${about}: endpoints, payloads, error codes and status codes, shared types.`,
    role: contractOwner.role,
    dependsOn: [],
    files: [`docs/api/${slug}.md`, `src/contracts/${slug}.ts`],
    complexity: 'medium',
    acceptanceCriteria: ['Every endpoint has request, response and error shapes', 'Shared types compile and are exported'],
  });
  const implementation: string[] = [];
  let serviceTask: string | undefined;
  for (const backend of byKind('backend')) {
    const model = add({
      title: `Data model and migrations for ${subject}`,
      description: `Add the storage schema for ${about} with a reversible migration and a repository layer.`,
      role: backend.role,
      dependsOn: [contract],
      files: [`src/db/migrations/001_${slug.replace(/-/g, '_')}.sql`, `src/db/${slug}-repository.ts`],
      complexity: 'medium',
      acceptanceCriteria: ['Migration applies and rolls back cleanly', 'Repository has unit tests'],
    });
    serviceTask = add({
      title: `Service and HTTP endpoints for ${subject}`,
      description: `Implement the ${subject} service and the endpoints of the contract, with input validation and error mapping.`,
      role: backend.role,
      dependsOn: [model],
      files: [`src/services/${slug}-service.ts`, `src/routes/${slug}.ts`],
      complexity: random.next() < 0.5 ? 'complex' : 'medium',
      acceptanceCriteria: ['Endpoints match the contract exactly', 'Invalid input answers 422 with field errors', ...extra],
    });
    implementation.push(model, serviceTask);
  }
  for (const frontend of byKind('frontend')) {
    const components = add({
      title: `UI components for ${subject}`,
      description: `Build the screens and forms for ${about}, with validation, loading and error states, accessible labels.`,
      role: frontend.role,
      dependsOn: [contract],
      files: [`web/src/features/${slug}/components.tsx`, `web/src/features/${slug}/form-state.ts`],
      complexity: 'medium',
      acceptanceCriteria: ['Forms validate before submitting', 'Every input has a label; keyboard navigation works'],
    });
    const wiring = add({
      title: `Connect the ${subject} UI to the API`,
      description: `Write the API client for the contract and wire the components to it, handling every documented error.`,
      role: frontend.role,
      dependsOn: serviceTask === undefined ? [components] : [components, serviceTask],
      files: [`web/src/features/${slug}/api-client.ts`, `web/src/features/${slug}/page.tsx`],
      complexity: 'simple',
      acceptanceCriteria: ['Client types come from the shared contract', 'Server errors show a useful message'],
    });
    implementation.push(components, wiring);
  }
  for (const mobile of byKind('mobile')) {
    implementation.push(
      add({
        title: `${mobile.role.replace(/_/g, ' ')}: ${subject} screens`,
        description: `Build the ${subject} screens on ${mobile.role.split('_')[0]} against the contract, with offline and error handling.`,
        role: mobile.role,
        dependsOn: serviceTask === undefined ? [contract] : [contract, serviceTask],
        files: [`mobile/${mobile.role}/${slug}/`],
        complexity: 'medium',
        acceptanceCriteria: ['Screens follow the platform guidelines', 'Tokens are kept in secure storage'],
      }),
    );
  }
  for (const developer of byKind('developer')) {
    implementation.push(
      add({
        title: `Implement the ${subject} module`,
        description: `Implement ${about} against the contract, with unit tests.`,
        role: developer.role,
        dependsOn: [contract],
        files: [`src/${slug}/index.ts`],
        complexity: 'medium',
        acceptanceCriteria: ['Module implements every contract operation', 'Unit tests cover the error paths'],
      }),
    );
  }
  const testing: string[] = [];
  for (const qa of byKind('qa')) {
    const testPlan = add({
      title: `Test plan for ${subject}`,
      description: `Derive test cases from the acceptance criteria of every task, including edge cases and abuse cases.`,
      role: qa.role,
      dependsOn: [contract],
      files: [`tests/plans/${slug}.md`],
      complexity: 'simple',
      acceptanceCriteria: ['Each acceptance criterion maps to at least one test case'],
    });
    testing.push(
      add({
        title: `Automated tests for ${subject}`,
        description: `Write integration and end-to-end tests for ${about} following the test plan.`,
        role: qa.role,
        dependsOn: [testPlan, ...implementation],
        files: [`tests/integration/${slug}.test.ts`, `tests/e2e/${slug}.spec.ts`],
        complexity: 'medium',
        acceptanceCriteria: ['Tests pass against the implementation', 'Failures name the broken criterion'],
      }),
    );
  }
  for (const reviewer of byKind('review')) {
    add({
      title: `Review the ${subject} change set`,
      description: `Review all changes for correctness, security and consistency with the contract; list findings by severity.`,
      role: reviewer.role,
      dependsOn: [...implementation, ...testing],
      files: [`docs/reviews/${slug}.md`],
      complexity: 'medium',
      acceptanceCriteria: ['Every finding has a severity and a concrete fix', ...extra.slice(0, 1)],
    });
  }
  return tasks;
}

/** Plans exactly `count` tasks in layers over the worker roles (load tests and benchmarks). */
function sizedPlan(context: SimPlanContext, count: number, random: SeededRandom): SimPlannedTask[] {
  const { subject, slug } = featureSubject(context.feature);
  const tasks: SimPlannedTask[] = [];
  for (let index = 0; index < count; index += 1) {
    const role = context.roles[index % context.roles.length];
    if (role === undefined) throw noRoles();
    const dependsOn = new Set<string>();
    if (index > 0) {
      const window = Math.min(index, 8);
      const picks = random.int(0, Math.min(2, window));
      for (let pick = 0; pick < picks; pick += 1) dependsOn.add(`T${index - random.int(0, window - 1)}`);
    }
    tasks.push({
      id: `T${index + 1}`,
      title: `${subject}: part ${index + 1}`,
      description: `Implement part ${index + 1} of ${subject}.`,
      role: role.role,
      dependsOn: [...dependsOn].sort(),
      files: [`src/${slug}/part-${index + 1}.ts`],
      complexity: random.pick(['simple', 'medium', 'medium', 'complex'] as const),
      acceptanceCriteria: [`Part ${index + 1} works and is tested`],
    });
  }
  return tasks;
}

/** The sim manager's plan for a feature and roster, deterministic for a seed; exactly `planTasks` tasks unless null. */
export function simulatePlan(context: SimPlanContext, scenario: Pick<SimScenario, 'seed' | 'planTasks'>): { tasks: SimPlannedTask[] } {
  const random = SeededRandom.for(scenario.seed, 'plan', context.feature);
  const count = scenario.planTasks;
  return { tasks: count === null ? standardPlan(context, random) : sizedPlan(context, count, random) };
}
