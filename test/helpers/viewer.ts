/**
 * Logging in to the viewer (src/viewer/auth.ts) from tests: the form POST a browser sends, and the session cookie it
 * gets back; raw requests (no URL normalisation) with any Host header and cookie.
 */
import crypto from 'node:crypto';
import http from 'node:http';

/** A password for a test's own viewer server (the real one generates its own, like this). */
export function testViewerPassword(): string {
  return crypto.randomBytes(18).toString('base64url');
}

/** POST /login; resolves with the status, the Set-Cookie header and the `cookie` to send back (name=value). */
export async function viewerLogin(
  base: string,
  username: string,
  password: string,
): Promise<{ status: number; setCookie: string; cookie: string; location: string }> {
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ username, password, next: '/' }).toString(),
  });
  await res.arrayBuffer();
  const setCookie = res.headers.get('set-cookie') ?? '';
  return {
    status: res.status,
    setCookie,
    cookie: setCookie.split(';')[0],
    location: res.headers.get('location') ?? '',
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A request with the path exactly as given (no URL normalisation) and the given headers. */
export function rawRequest(
  base: string,
  rawPath: string,
  headers: http.OutgoingHttpHeaders = {},
  method = 'GET',
): Promise<RawResponse> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: rawPath, method, headers, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end();
  });
}
