import type { OrchestrateRequest } from './api-schemas.js';

/** The feature the team plans, from a submission: title and description, then the context, repository and due date it carries. */
export function featureText(request: OrchestrateRequest): string {
  const { metadata } = request;
  const lines = [request.title, '', request.description];
  if (metadata.context !== undefined) lines.push('', `Context: ${metadata.context}`);
  if (metadata.repository !== undefined) lines.push(`Repository: ${metadata.repository}`);
  if (metadata.due_date !== undefined) lines.push(`Due: ${metadata.due_date} (priority ${request.priority})`);
  return lines.join('\n');
}
