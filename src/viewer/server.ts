/**
 * The viewer: OHIF's static build plus a same-origin, read-only proxy to Orthanc's DICOMweb.
 *
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
import type { OrthancConfig, ViewerConfig } from '../config';
import { DICOMWEB_PREFIX, ohifAppConfig } from './app-config';
import { binaryFrames, firstPart, framesResponse, parseFramesPath } from './binary-frames';
import { decideDicomwebRoute } from './routes';

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
  viewer: Pick<ViewerConfig, 'distDir'>;
  orthanc: Pick<OrthancConfig, 'url' | 'username' | 'password' | 'timeoutMs' | 'caFile'>;
  /** Called once per proxied request (tests count them); never with credentials. */
  onProxy?: (entry: { method: string; path: string; status: number }) => void;
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
  const upstream = new URL(opts.orthanc.url.replace(/\/+$/, '') + DICOMWEB_PREFIX);
  const auth =
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

  const proxy = (req: http.IncomingMessage, res: http.ServerResponse, subPath: string, search: string) => {
    const method = req.method ?? 'GET';
    const decision = decideDicomwebRoute(method, subPath);
    if (!decision.forward) {
      opts.onProxy?.({ method, path: subPath, status: decision.status });
      send(res, decision.status, `${decision.reason}\n`);
      return;
    }
    const headers: http.OutgoingHttpHeaders = { host: req.headers.host ?? upstream.host };
    for (const h of ['accept', 'accept-encoding', 'if-none-match', 'if-modified-since', 'range']) {
      if (req.headers[h] !== undefined) headers[h] = req.headers[h];
    }
    if (auth) headers.authorization = auth; // the browser's own Authorization and cookies are never forwarded
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
              opts.onProxy?.({ method, path: subPath, status: 502 });
              if (!res.headersSent) send(res, 502, `Cannot read the frames from Orthanc: ${err.message}\n`);
              else res.destroy(err);
            });
          return;
        }
        const out: http.OutgoingHttpHeaders = { ...COMMON_HEADERS };
        for (const h of PASSED_BACK) if (upRes.headers[h] !== undefined) out[h] = upRes.headers[h];
        res.writeHead(status, out);
        upRes.pipe(res);
        opts.onProxy?.({ method, path: subPath, status });
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
      if (auth) headers.authorization = auth;
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
          upRes.on('data', (c: Buffer) => chunks.push(c));
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
    const file = path.resolve(distDir, '.' + path.posix.normalize(decoded));
    const inside = file.startsWith(distDir + path.sep);
    let target = indexFile;
    if (inside && fs.statSync(file, { throwIfNoEntry: false })?.isFile()) target = file;
    else if (path.extname(decoded) !== '') {
      send(res, 404, 'not found\n'); // a missing asset is a 404, not the app's HTML
      return;
    }
    const type = MIME[path.extname(target)] ?? 'application/octet-stream';
    const size = fs.statSync(target).size;
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

  return http.createServer((req, res) => {
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const pathname = q === -1 ? raw : raw.slice(0, q);
    const search = q === -1 ? '' : raw.slice(q);
    if (pathname === DICOMWEB_PREFIX || pathname.startsWith(DICOMWEB_PREFIX + '/')) {
      proxy(req, res, pathname.slice(DICOMWEB_PREFIX.length), search);
    } else {
      serveStatic(req, res, pathname);
    }
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
