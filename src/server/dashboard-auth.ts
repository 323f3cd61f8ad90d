/**
 * How a browser authenticates to a server with a token: `/ui?token=…` once sets an HttpOnly, SameSite=Strict
 * cookie and redirects to the same page without the token; the cookie then stands for the bearer token.
 * The cookie holds a keyed digest of the token, never the token itself.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { API_TOKEN_ENV } from './bearer-auth.js';
import { escapeHtml, UI_ROOT } from './dashboard-html.js';

/** The dashboard's session cookie. */
export const SESSION_COOKIE = 'agent_team_ui';

/** The header the dashboard's script sends with a change it asks for: a cross-site form cannot send it. */
export const UI_REQUEST_HEADER = 'x-agent-team-ui';

/** How long a browser stays signed in. */
const SESSION_SECONDS = 12 * 60 * 60;

function sessionValue(token: string): string {
  return createHmac('sha256', token).update('agent-team dashboard session v1').digest('hex');
}

function sameText(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * True when the request carries the dashboard's session for `token`. A change (any method but GET and HEAD)
 * also needs the dashboard's header, so a page elsewhere cannot make the browser send one with its cookie.
 */
export function sessionMatches(context: Context, token: string): boolean {
  const cookie = getCookie(context, SESSION_COOKIE);
  if (cookie === undefined || !sameText(cookie, sessionValue(token))) return false;
  const method = context.req.method;
  return method === 'GET' || method === 'HEAD' || context.req.header(UI_REQUEST_HEADER) === '1';
}

function isUiPath(path: string): boolean {
  return path === UI_ROOT || path.startsWith(`${UI_ROOT}/`);
}

function signInPage(message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign in · agent-team</title></head><body><main><h1>agent-team dashboard</h1><p>${escapeHtml(message)}</p></main></body></html>\n`;
}

/**
 * Signs a browser in: a dashboard page asked with `?token=` (the server's token) sets the session cookie and
 * redirects without it; a dashboard page asked without a session answers 401 saying how to sign in.
 */
export function dashboardSignIn(token: string | undefined): MiddlewareHandler {
  return async (context, next) => {
    if (token === undefined || !isUiPath(context.req.path)) return next();
    const url = new URL(context.req.url);
    const given = url.searchParams.get('token');
    if (given !== null && context.req.method === 'GET') {
      if (!sameText(sessionValue(given), sessionValue(token))) {
        context.header('Cache-Control', 'no-store');
        return context.html(signInPage(`The token is not the one this server was started with (${API_TOKEN_ENV}).`), 401);
      }
      setCookie(context, SESSION_COOKIE, sessionValue(token), {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        maxAge: SESSION_SECONDS,
      });
      url.searchParams.delete('token');
      context.header('Cache-Control', 'no-store');
      context.header('Referrer-Policy', 'no-referrer');
      return context.redirect(`${url.pathname}${url.search}`, 303);
    }
    if (sessionMatches(context, token) || context.req.header('authorization') !== undefined) return next();
    context.header('Cache-Control', 'no-store');
    return context.html(
      signInPage(
        `Open ${UI_ROOT}?token=<token> once with the value of ${API_TOKEN_ENV} this server was started with; the browser then stays signed in.`,
      ),
      401,
    );
  };
}
