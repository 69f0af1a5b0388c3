/**
 * Who may use the viewer, and under which host name (server.ts calls these before anything else).
 *
 * - **Host check** (DNS rebinding): a request is answered only when its Host header names this server: localhost,
 *   127.0.0.1, ::1, the address it listens on, or a name listed in CXR_VIEWER_ALLOWED_HOSTS. A web page whose own
 *   domain was made to resolve to 127.0.0.1 sends its own name as Host and is refused (421).
 * - **Login**: one account of its own (CXR_VIEWER_USERNAME, default `viewer`; its password generated once in
 *   <data dir>/secrets/viewer-password, or CXR_VIEWER_PASSWORD). A login gives a random session token in an
 *   HttpOnly, SameSite=Strict, Secure cookie (browsers keep Secure cookies on http://localhost and 127.0.0.1; behind
 *   TLS everywhere else); sessions end after CXR_VIEWER_SESSION_HOURS (8) and after 1 h without a request, and at
 *   logout. Ten wrong passwords from one address in 10 minutes lock that address out for the rest of the window.
 * - **Trusted-header mode** (SSO through a reverse proxy or an OIDC gateway, e.g. oauth2-proxy): off by default. With
 *   CXR_VIEWER_TRUSTED_USER_HEADER (e.g. X-Forwarded-User) and CXR_VIEWER_TRUSTED_PROXIES (the proxy's addresses),
 *   a request from one of those addresses is the user that header names (recorded in the audit trail as asserted by
 *   the proxy). The header from any other address is ignored, so it cannot be forged by a local process.
 * Pure except for the in-memory session table.
 */
import crypto from 'node:crypto';

export const SESSION_COOKIE = 'cxr_viewer_session';
const IDLE_MS = 60 * 60_000;
const FAILURE_WINDOW_MS = 10 * 60_000;
const MAX_FAILURES = 10;

export interface ViewerAuthOptions {
  username: string;
  password: string;
  sessionHours: number;
  secureCookies: boolean;
  allowedHosts: readonly string[];
  /** The interface the server listens on (its address is an allowed host name too, unless a wildcard). */
  listenHost: string;
  trustedUserHeader?: string;
  trustedProxies: readonly string[];
}

export interface ViewerUser {
  name: string;
  via: 'viewer-login' | 'trusted-proxy';
}

interface Session {
  user: string;
  created: number;
  lastSeen: number;
}

/** The host name of a Host header (no port, lower case, IPv6 without brackets); undefined when malformed. */
export function hostNameOf(host: string | undefined): string | undefined {
  if (host === undefined || host.length === 0 || host.length > 255) return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+))(?::([0-9]{1,5}))?$/.exec(host);
  if (!m) return undefined;
  return (m[1] ?? m[2]).toLowerCase().replace(/\.$/, '');
}

/** An address as the socket reports it, without the IPv4-mapped IPv6 prefix. */
export function plainAddress(addr: string | undefined): string {
  return (addr ?? '').replace(/^::ffff:/i, '');
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** Constant-time string comparison (of digests, so lengths do not leak either). */
function sameSecret(a: string, b: string): boolean {
  const h = (s: string) => crypto.createHash('sha256').update(s, 'utf8').digest();
  return crypto.timingSafeEqual(h(a), h(b));
}

export class ViewerAuth {
  private readonly sessions = new Map<string, Session>();
  private readonly failures = new Map<string, { count: number; since: number }>();
  private readonly hosts: Set<string>;
  private readonly proxies: Set<string>;

  constructor(private readonly opts: ViewerAuthOptions) {
    if (opts.password.length < 12) throw new RangeError('the viewer password must have at least 12 characters');
    this.hosts = new Set(['localhost', '127.0.0.1', '::1']);
    const listen = opts.listenHost.toLowerCase();
    if (!['0.0.0.0', '::', ''].includes(listen)) this.hosts.add(listen);
    for (const h of opts.allowedHosts) {
      const name = hostNameOf(h.trim()) ?? h.trim().toLowerCase();
      if (name) this.hosts.add(name);
    }
    this.proxies = new Set(opts.trustedProxies.map((p) => plainAddress(p.trim())).filter(Boolean));
  }

  /** Does the Host header name this server? */
  hostAllowed(host: string | undefined): boolean {
    const name = hostNameOf(host);
    return name !== undefined && this.hosts.has(name);
  }

  /** The user of a request: a trusted proxy's header, else a valid session cookie; undefined when neither. */
  userOf(
    headers: Record<string, string | string[] | undefined>,
    remoteAddress: string | undefined,
  ): ViewerUser | undefined {
    const header = this.opts.trustedUserHeader?.toLowerCase();
    if (header && this.proxies.size > 0 && this.proxies.has(plainAddress(remoteAddress))) {
      const v = headers[header];
      const name = Array.isArray(v) ? undefined : v?.trim();
      if (name && /^[\x21-\x7e]{1,128}$/.test(name)) return { name, via: 'trusted-proxy' };
    }
    const token = cookieValue(typeof headers.cookie === 'string' ? headers.cookie : undefined, SESSION_COOKIE);
    if (token === undefined) return undefined;
    const s = this.sessions.get(token);
    const now = Date.now();
    if (!s) return undefined;
    if (now - s.created > this.opts.sessionHours * 3_600_000 || now - s.lastSeen > IDLE_MS) {
      this.sessions.delete(token);
      return undefined;
    }
    s.lastSeen = now;
    return { name: s.user, via: 'viewer-login' };
  }

  /** Is this address locked out after too many wrong passwords? */
  lockedOut(client: string): boolean {
    const f = this.failures.get(client);
    if (!f) return false;
    if (Date.now() - f.since > FAILURE_WINDOW_MS) {
      this.failures.delete(client);
      return false;
    }
    return f.count >= MAX_FAILURES;
  }

  /** Check a login; on success a new session token and its Set-Cookie header. */
  login(username: string, password: string, client: string): { token: string; cookie: string } | undefined {
    const ok = sameSecret(username, this.opts.username) && sameSecret(password, this.opts.password);
    if (!ok) {
      const f = this.failures.get(client);
      if (!f || Date.now() - f.since > FAILURE_WINDOW_MS) this.failures.set(client, { count: 1, since: Date.now() });
      else f.count++;
      return undefined;
    }
    this.failures.delete(client);
    this.prune();
    const token = crypto.randomBytes(32).toString('base64url');
    const now = Date.now();
    this.sessions.set(token, { user: this.opts.username, created: now, lastSeen: now });
    return { token, cookie: this.cookie(token, Math.floor(this.opts.sessionHours * 3600)) };
  }

  /** End the request's session; the Set-Cookie header that removes the cookie. */
  logout(cookieHeader: string | undefined): string {
    const token = cookieValue(cookieHeader, SESSION_COOKIE);
    if (token !== undefined) this.sessions.delete(token);
    return this.cookie('', 0);
  }

  private cookie(value: string, maxAge: number): string {
    return [
      `${SESSION_COOKIE}=${value}`,
      'Path=/',
      'HttpOnly',
      'SameSite=Strict',
      `Max-Age=${maxAge}`,
      ...(this.opts.secureCookies ? ['Secure'] : []),
    ].join('; ');
  }

  private prune(): void {
    const now = Date.now();
    for (const [t, s] of this.sessions)
      if (now - s.created > this.opts.sessionHours * 3_600_000 || now - s.lastSeen > IDLE_MS) this.sessions.delete(t);
  }
}

/** A local path to go to after the login (never another site: `//evil`, `/\evil`, schemes are refused). */
export function safeNext(next: string | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\') || next.length > 2048)
    return '/';
  if (hasControlChar(next) || next.includes('\\')) return '/';
  return next;
}

/** Does the text hold a C0 control character or DEL (NUL included)? */
export function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function htmlEscape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The login page: a plain form, no scripts. */
export function loginPage(next: string, error?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cxr-pipeline viewer: log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:sans-serif;background:#0b1a2e;color:#e6eefb;display:flex;justify-content:center;margin-top:12vh}
form{background:#14273f;padding:2em;border-radius:8px;min-width:18em}label{display:block;margin-top:1em}
input{width:100%;padding:.4em;margin-top:.3em;box-sizing:border-box}button{margin-top:1.5em;padding:.5em 1.5em}
.error{color:#ff9d9d}</style></head>
<body><form method="post" action="/login">
<h1>cxr-pipeline viewer</h1>
${error ? `<p class="error" role="alert">${htmlEscape(error)}</p>` : ''}
<label>User <input name="username" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<input type="hidden" name="next" value="${htmlEscape(next)}">
<button type="submit">Log in</button>
</form></body></html>
`;
}
