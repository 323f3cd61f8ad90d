/** The server layer's public face: the HTTP service that plans, runs and streams teams (`agent-team serve`). */
export { API_TOKEN_ENV } from './bearer-auth.js';
export { DEFAULT_MAX_BODY_BYTES } from './create-app.js';
export { checkExposure, MIN_TOKEN_LENGTH, type RunningServer, serviceLogPath, type ServerOptions, startServer } from './start-server.js';
export { verifyWebhookSignature, webhookSignature } from './webhook-signature.js';
export {
  MIN_WEBHOOK_SECRET_LENGTH,
  WEBHOOK_SECRET_ENV,
  WEBHOOK_URLS_ENV,
  type WebhookSettings,
  webhookSettings,
} from './webhook-settings.js';
export { type RunningDashboard, startDashboard } from './start-dashboard.js';
