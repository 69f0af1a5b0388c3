/**
 * The viewer: OHIF's static build plus a same-origin, read-only proxy to Orthanc's DICOMweb, behind a login of its
 * own (auth.ts). Every request is first checked for its Host header (DNS rebinding: 421) and its user (a session
 * cookie from /login, or a trusted proxy's header); without one, a page is redirected to /login and anything else
 * gets 401. Every study served is recorded in the audit trail (who, which study; src/audit), before it is served.
 *
 *   GET /login, POST /login     the login form (no scripts); POST /logout ends the session
 *   GET /app-config.js          generated (app-config.ts): one data source, the proxy below
 *   GET|HEAD /dicom-web/...     forwarded to Orthanc's DICOMweb plugin, only the routes in routes.ts, with the
 *                               Orthanc credentials added here (the browser never sees them, and Orthanc's
 *                               WWW-Authenticate is never passed back, so the browser never asks for them).
 *                               Frames Orthanc refuses (400) of 1-bit objects, the heatmap SEGs, are answered
 *                               here from the instance (binary-frames.ts).
 *   GET anything else           a file of OHIF's dist/, or index.html for the app's own routes (/viewer?...)
 *
 * Orthanc 1.10 sends no CORS headers, so same-origin is also what makes the browser accept the answers.
 * Orthanc's DICOMweb plugin writes absolute BulkDataURIs from the request's Host header: the proxy passes the
 * browser's Host on, so those URLs point back at the proxy.
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { type Actor, audit, type AuditWhat } from '../audit';
import type { AuditConfig, OrthancConfig, ViewerConfig } from '../config';
import { ensureSecret } from '../secrets';
import { DICOMWEB_PREFIX, ohifAppConfig } from './app-config';
import { hasControlChar, loginPage, plainAddress, safeNext, ViewerAuth, type ViewerUser } from './auth';
import { binaryFrames, firstPart, framesResponse, parseFramesPath } from './binary-frames';
import { decideDicomwebRoute, forwardedSearch } from './routes';

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.onnx': 'application/octet-stream',
};

/** Headers every answer carries: no framing by other sites, no MIME sniffing, cross-origin isolation for OHIF. */
const COMMON_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'SAMEORIGIN',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Response headers of Orthanc's that are passed back to the browser; everything else stays behind. */
const PASSED_BACK = ['content-type', 'content-length', 'content-encoding', 'etag', 'last-modified', 'cache-control'];

export interface ViewerServerOptions {
  viewer: Pick<
    ViewerConfig,
    | 'distDir'
    | 'host'
    | 'username'
    | 'sessionHours'
    | 'secureCookies'
    | 'allowedHosts'
    | 'trustedUserHeader'
    | 'trustedProxies'
    | 'maxInstanceBytes'
  >;
  /** The viewer account's password (config.viewer.password, else the generated secret: viewerPassword()). */
  password: string;
  orthanc: Pick<OrthancConfig, 'url' | 'username' | 'password' | 'timeoutMs' | 'caFile'>;
  /** Where the studies served are recorded (config.audit). */
  audit: AuditConfig;
  /** Called once per proxied request (tests count them); never with credentials. */
  onProxy?: (entry: { method: string; path: string; status: number; search?: string }) => void;
}

/** The same (user, study) is recorded again after this long: one record per study opened, not one per frame. */
const AUDIT_REPEAT_MS = 10 * 60_000;
/** Longest request target answered (Node refuses request heads over 16 KiB anyway). */
const MAX_URL = 8192;
/** Longest decoded path of a static file, and of one of its segments (NAME_MAX). */
const MAX_PATH = 1024;
const MAX_SEGMENT_BYTES = 255;
const MAX_FORM_BYTES = 4096;

class TooLargeError extends Error {
  readonly type = 'ViewerUpstreamTooLarge';
}

/** The viewer account's password: CXR_VIEWER_PASSWORD, else the secret generated once in <data dir>/secrets. */
export function viewerPassword(viewer: Pick<ViewerConfig, 'password'>, dataDir: string): string {
  return viewer.password ?? ensureSecret(dataDir, 'viewer-password');
}

export class ViewerSetupError extends Error {
  readonly type = 'ViewerSetup';
}

/** Build (not start) the viewer's HTTP server. Throws ViewerSetupError when OHIF's build is missing. */
export function createViewerServer(opts: ViewerServerOptions): http.Server {
  const distDir = path.resolve(opts.viewer.distDir);
  const indexFile = path.join(distDir, 'index.html');
  if (!fs.existsSync(indexFile)) {
    throw new ViewerSetupError(
      `No OHIF build at ${distDir} (index.html missing): run scripts/setup, or set CXR_VIEWER_DIST`,
    );
  }
  const appConfig = ohifAppConfig();
  const auth = new ViewerAuth({
    username: opts.viewer.username,
    password: opts.password,
    sessionHours: opts.viewer.sessionHours,
    secureCookies: opts.viewer.secureCookies,
    allowedHosts: opts.viewer.allowedHosts,
    listenHost: opts.viewer.host,
    trustedUserHeader: opts.viewer.trustedUserHeader,
    trustedProxies: opts.viewer.trustedProxies,
  });
  const maxInstanceBytes = opts.viewer.maxInstanceBytes;
  const recorded = new Map<string, number>();
  const upstream = new URL(opts.orthanc.url.replace(/\/+$/, '') + DICOMWEB_PREFIX);
  const orthancAuth =
    opts.orthanc.username !== undefined
      ? 'Basic ' + Buffer.from(`${opts.orthanc.username}:${opts.orthanc.password ?? ''}`).toString('base64')
      : undefined;
  // HTTPS Orthanc (production profile): trust the private CA of ORTHANC_CA_FILE besides the usual roots.
  const ca = opts.orthanc.caFile ? [...tls.rootCertificates, fs.readFileSync(opts.orthanc.caFile, 'utf8')] : undefined;
  const agent =
    upstream.protocol === 'https:' ? new https.Agent({ keepAlive: true, ca }) : new http.Agent({ keepAlive: true });

  const send = (res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8') => {
    res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body) });
    res.end(body);
  };

  /**
   * Record that `user` is being served a study (or a study list), unless the same was recorded in the last 10
   * minutes. Rejects when the audit log cannot be written: then nothing is served.
   */
  const recordAccess = async (user: ViewerUser, client: string, subPath: string, search: string): Promise<void> => {
    const study = /^\/studies\/([0-9.]+)/.exec(subPath)?.[1];
    const what: AuditWhat =
      study !== undefined
        ? { studyInstanceUid: study }
        : { studyList: subPath, query: decodeURIComponentSafe(search.slice(1)).slice(0, 512) };
    const key = `${user.via}\0${user.name}\0${study ?? `${subPath}?${search}`}`;
    const now = Date.now();
    const last = recorded.get(key);
    if (last !== undefined && now - last < AUDIT_REPEAT_MS) return;
    const actor: Actor = { who: user.name, whoSource: user.via, client };
    await audit(opts.audit, 'viewer-study', what, 'success', undefined, actor);
    recorded.set(key, now);
    if (recorded.size > 10_000) for (const [k, t] of recorded) if (now - t >= AUDIT_REPEAT_MS) recorded.delete(k);
  };

  const proxy = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    subPath: string,
    rawSearch: string,
    user: ViewerUser,
  ) => {
    const method = req.method ?? 'GET';
    const decision = decideDicomwebRoute(method, subPath);
    if (!decision.forward) {
      opts.onProxy?.({ method, path: subPath, status: decision.status });
      send(res, decision.status, `${decision.reason}\n`);
      return;
    }
    const search = forwardedSearch(rawSearch);
    recordAccess(user, plainAddress(req.socket.remoteAddress), subPath, search).then(
      () => forward(req, res, method, subPath, search),
      (err: Error) => {
        opts.onProxy?.({ method, path: subPath, status: 503 });
        process.stderr.write(`viewer: audit: ${err.message}\n`);
        send(res, 503, 'The viewer cannot record this access in the audit trail, so it serves nothing: see its log\n');
      },
    );
  };

  const forward = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    method: string,
    subPath: string,
    search: string,
  ) => {
    const headers: http.OutgoingHttpHeaders = { host: req.headers.host ?? upstream.host };
    for (const h of ['accept', 'accept-encoding', 'if-none-match', 'if-modified-since', 'range']) {
      if (req.headers[h] !== undefined) headers[h] = req.headers[h];
    }
    if (orthancAuth) headers.authorization = orthancAuth; // the browser's own Authorization and cookies are never forwarded
    const client = upstream.protocol === 'https:' ? https : http;
    const upReq = client.request(
      {
        protocol: upstream.protocol,
        hostname: upstream.hostname,
        port: upstream.port,
        path: upstream.pathname + subPath + search,
        method,
        headers,
        agent,
        timeout: opts.orthanc.timeoutMs,
      },
      (upRes) => {
        const status = upRes.statusCode ?? 502;
        // Orthanc answering 401 means the proxy's own credentials are wrong: an operator problem, not the user's.
        if (status === 401 || status === 403) {
          upRes.resume();
          opts.onProxy?.({ method, path: subPath, status: 502 });
          send(res, 502, 'Orthanc refused the viewer proxy credentials (check ORTHANC_USERNAME / ORTHANC_PASSWORD)\n');
          return;
        }
        // 500: what Orthanc answers for the frames of a deflated 1-bit object (the heatmap SEGs are stored deflated).
        const frames = (status === 400 || status === 500) && method === 'GET' ? parseFramesPath(subPath) : undefined;
        if (frames) {
          // Orthanc's DICOMweb plugin cannot cut 1-bit frames (the heatmap SEGs): cut them here from the instance.
          upRes.resume();
          serveBinaryFrames(res, frames, req.headers.host)
            .then((st) => opts.onProxy?.({ method, path: subPath, status: st }))
            .catch((err: Error) => {
              const st = err instanceof TooLargeError ? 413 : 502;
              opts.onProxy?.({ method, path: subPath, status: st });
              if (!res.headersSent) send(res, st, `Cannot read the frames from Orthanc: ${err.message}\n`);
              else res.destroy(err);
            });
          return;
        }
        const out: http.OutgoingHttpHeaders = { ...COMMON_HEADERS };
        for (const h of PASSED_BACK) if (upRes.headers[h] !== undefined) out[h] = upRes.headers[h];
        res.writeHead(status, out);
        upRes.pipe(res);
        opts.onProxy?.({ method, path: subPath, status, search });
      },
    );
    upReq.on('timeout', () => upReq.destroy(new Error('Orthanc did not answer in time')));
    upReq.on('error', (err) => {
      opts.onProxy?.({ method, path: subPath, status: 502 });
      if (!res.headersSent) send(res, 502, `Orthanc is not reachable: ${err.message}\n`);
      else res.destroy(err);
    });
    req.on('aborted', () => upReq.destroy());
    upReq.end();
  };

  /** GET one resource of Orthanc's DICOMweb, whole, for the proxy's own use (not passed to the browser as is). */
  const fetchUpstream = (subPath: string, accept: string, host: string | undefined) =>
    new Promise<{ status: number; contentType: string; body: Buffer }>((resolve, reject) => {
      const client = upstream.protocol === 'https:' ? https : http;
      const headers: http.OutgoingHttpHeaders = { host: host ?? upstream.host, accept };
      if (orthancAuth) headers.authorization = orthancAuth;
      const upReq = client.request(
        {
          protocol: upstream.protocol,
          hostname: upstream.hostname,
          port: upstream.port,
          path: upstream.pathname + subPath,
          method: 'GET',
          headers,
          agent,
          timeout: opts.orthanc.timeoutMs,
        },
        (upRes) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const tooLarge = () =>
            new TooLargeError(`the instance is larger than CXR_VIEWER_MAX_INSTANCE_BYTES (${maxInstanceBytes} bytes)`);
          if (Number(upRes.headers['content-length'] ?? 0) > maxInstanceBytes) {
            upReq.destroy();
            reject(tooLarge());
            return;
          }
          upRes.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxInstanceBytes) {
              upReq.destroy();
              reject(tooLarge());
              return;
            }
            chunks.push(c);
          });
          upRes.on('error', reject);
          upRes.on('end', () =>
            resolve({
              status: upRes.statusCode ?? 502,
              contentType: String(upRes.headers['content-type'] ?? ''),
              body: Buffer.concat(chunks),
            }),
          );
        },
      );
      upReq.on('timeout', () => upReq.destroy(new Error('Orthanc did not answer in time')));
      upReq.on('error', reject);
      upReq.end();
    });

  /**
   * Frames of a 1-bit object, cut from the whole instance (as stored: transfer-syntax=*). Anything else (not 1-bit,
   * encapsulated, no such frame) gets Orthanc's own 400 back. Resolves with the status sent.
   */
  const serveBinaryFrames = async (
    res: http.ServerResponse,
    f: NonNullable<ReturnType<typeof parseFramesPath>>,
    host: string | undefined,
  ): Promise<number> => {
    const instance = await fetchUpstream(
      `/studies/${f.study}/series/${f.series}/instances/${f.instance}`,
      'multipart/related; type="application/dicom"; transfer-syntax=*',
      host,
    );
    if (instance.status !== 200) {
      send(res, instance.status === 404 ? 404 : 502, `Orthanc answered ${instance.status} for the instance\n`);
      return instance.status === 404 ? 404 : 502;
    }
    let frames: Uint8Array[] | undefined;
    try {
      frames = binaryFrames(firstPart(instance.body, instance.contentType), f.frames);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      send(res, 400, `${err.message}\n`);
      return 400;
    }
    if (frames === undefined) {
      send(res, 400, 'Orthanc cannot return these frames, and they are not 1-bit frames the viewer can cut\n');
      return 400;
    }
    const { contentType, body } = framesResponse(frames, `cxr-frames-${f.instance}`);
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': contentType, 'Content-Length': body.length });
    res.end(body);
    return 200;
  };

  const serveStatic = (req: http.IncomingMessage, res: http.ServerResponse, pathname: string) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'read-only\n');
      return;
    }
    if (pathname === '/app-config.js') {
      send(res, 200, req.method === 'HEAD' ? '' : appConfig, MIME['.js']);
      return;
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      send(res, 400, 'bad path\n');
      return;
    }
    // No file has such a name: NUL and control characters, over-long paths or segments (fs would throw on them).
    if (
      hasControlChar(decoded) ||
      decoded.includes('\\') ||
      decoded.length > MAX_PATH ||
      decoded.split('/').some((seg) => Buffer.byteLength(seg) > MAX_SEGMENT_BYTES)
    ) {
      send(res, 404, 'not found\n');
      return;
    }
    const file = path.resolve(distDir, '.' + path.posix.normalize(decoded));
    const inside = file.startsWith(distDir + path.sep);
    let target = indexFile;
    if (inside && statOrUndefined(file)?.isFile()) target = file;
    else if (path.extname(decoded) !== '') {
      send(res, 404, 'not found\n'); // a missing asset is a 404, not the app's HTML
      return;
    }
    const type = MIME[path.extname(target)] ?? 'application/octet-stream';
    const st = statOrUndefined(target);
    if (st === undefined) {
      send(res, 404, 'not found\n');
      return;
    }
    const size = st.size;
    // Hashed bundles never change for a given OHIF version; index.html must be re-read to pick up a new one.
    const cache = target === indexFile ? 'no-cache' : 'public, max-age=3600';
    res.writeHead(200, { ...COMMON_HEADERS, 'Content-Type': type, 'Content-Length': size, 'Cache-Control': cache });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    fs.createReadStream(target)
      .on('error', (err) => res.destroy(err))
      .pipe(res);
  };

  const unauthenticated = (req: http.IncomingMessage, res: http.ServerResponse, pathname: string, search: string) => {
    const wantsPage =
      (req.method === 'GET' || req.method === 'HEAD') &&
      /text\/html/.test(String(req.headers.accept ?? '')) &&
      !pathname.startsWith(DICOMWEB_PREFIX);
    if (wantsPage) {
      const next = encodeURIComponent(safeNext(pathname + search));
      res.writeHead(303, { ...COMMON_HEADERS, Location: `/login?next=${next}`, 'Content-Length': 0 });
      res.end();
      return;
    }
    // No WWW-Authenticate: the browser must not offer its own password dialog.
    send(res, 401, 'log in first (/login)\n');
  };

  const loginRoute = (req: http.IncomingMessage, res: http.ServerResponse, search: string) => {
    const client = plainAddress(req.socket.remoteAddress);
    const page = (status: number, next: string, error?: string) => {
      const body = loginPage(next, error);
      res.writeHead(status, {
        ...COMMON_HEADERS,
        'Content-Type': 'text/html; charset=utf-8',
        'Content-Length': Buffer.byteLength(body),
        'Cache-Control': 'no-store',
        // The form's POST then carries this origin (with no-referrer, Chromium sends `Origin: null`).
        'Referrer-Policy': 'same-origin',
        'Content-Security-Policy':
          "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'",
      });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    if (req.method === 'GET' || req.method === 'HEAD') {
      page(200, safeNext(new URLSearchParams(search.slice(1)).get('next') ?? undefined));
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, 'GET or POST\n');
      return;
    }
    if (!sameOrigin(req)) {
      send(res, 403, 'cross-site login refused\n');
      return;
    }
    readForm(req)
      .then(async (form) => {
        const next = safeNext(form.get('next') ?? undefined);
        if (auth.lockedOut(client)) {
          page(429, next, 'Too many wrong passwords from this address: try again in 10 minutes.');
          return;
        }
        const username = form.get('username') ?? '';
        const session = auth.login(username, form.get('password') ?? '', client);
        const actor: Actor = { who: username.slice(0, 128) || '(empty)', whoSource: 'viewer-login', client };
        await audit(
          opts.audit,
          'viewer-login',
          {},
          session ? 'success' : 'minor-failure',
          session ? undefined : 'wrong user or password',
          actor,
        ).catch((err: Error) => process.stderr.write(`viewer: audit: ${err.message}\n`));
        if (!session) {
          page(401, next, 'Wrong user or password.');
          return;
        }
        res.writeHead(303, { ...COMMON_HEADERS, 'Set-Cookie': session.cookie, Location: next, 'Content-Length': 0 });
        res.end();
      })
      .catch((err: Error) => {
        if (!res.headersSent) send(res, 400, `${err.message}\n`);
        else res.destroy();
      });
  };

  /** A POST from a page of another site (its Origin names another host) is refused. */
  const sameOrigin = (req: http.IncomingMessage): boolean => {
    const origin = req.headers.origin;
    if (origin === undefined || origin === 'null') return origin === undefined;
    try {
      return auth.hostAllowed(new URL(origin).host) && auth.hostAllowed(req.headers.host);
    } catch {
      return false;
    }
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const raw = req.url ?? '/';
    if (raw.length > MAX_URL) {
      send(res, 414, 'request target too long\n');
      return;
    }
    if (!auth.hostAllowed(req.headers.host)) {
      // DNS rebinding: a page of another site whose name resolves here sends its own name as Host.
      send(res, 421, 'this viewer does not answer for that host name (CXR_VIEWER_ALLOWED_HOSTS)\n');
      return;
    }
    const q = raw.indexOf('?');
    const pathname = q === -1 ? raw : raw.slice(0, q);
    const search = q === -1 ? '' : raw.slice(q);
    if (pathname === '/login') {
      loginRoute(req, res, search);
      return;
    }
    if (pathname === '/logout' && req.method === 'POST') {
      if (!sameOrigin(req)) {
        send(res, 403, 'cross-site logout refused\n');
        return;
      }
      const cookie = auth.logout(typeof req.headers.cookie === 'string' ? req.headers.cookie : undefined);
      res.writeHead(303, { ...COMMON_HEADERS, 'Set-Cookie': cookie, Location: '/login', 'Content-Length': 0 });
      res.end();
      return;
    }
    const user = auth.userOf(req.headers, req.socket.remoteAddress);
    if (user === undefined) {
      unauthenticated(req, res, pathname, search);
      return;
    }
    if (pathname === DICOMWEB_PREFIX || pathname.startsWith(DICOMWEB_PREFIX + '/')) {
      proxy(req, res, pathname.slice(DICOMWEB_PREFIX.length), search, user);
    } else {
      serveStatic(req, res, pathname);
    }
  };

  const server = http.createServer((req, res) => {
    // Whatever a request does, it ends this request only: never the process (an <img> on any page could send it).
    try {
      handle(req, res);
    } catch (err) {
      process.stderr.write(`viewer: ${req.method} ${JSON.stringify(req.url)}: ${(err as Error).stack ?? err}\n`);
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    }
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  return server;
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file, { throwIfNoEntry: false });
  } catch {
    return undefined; // ENAMETOOLONG, ELOOP, EACCES...: no file to serve
  }
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** A urlencoded form of at most 4 KiB. */
function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const type = String(req.headers['content-type'] ?? '');
    if (!/^application\/x-www-form-urlencoded\b/i.test(type)) {
      req.resume();
      reject(new Error('expected a form (application/x-www-form-urlencoded)'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        req.destroy();
        reject(new Error('form too large'));
        return;
      }
      chunks.push(c);
    });
    req.on('error', reject);
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
  });
}

/** Start listening; resolves with the bound port (0 asks for a free one). */
export function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr !== null ? addr.port : port);
    });
  });
}
