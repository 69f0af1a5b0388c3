/**
 * Real receivers for the delivery tests (issue 25), all on loopback:
 *  - MllpListener: a TCP server speaking MLLP framing that parses each HL7 message and answers an ACK chosen by a
 *    policy (AA, or AE/AR for the first N messages, to show a NAK then recovery);
 *  - WebhookReceiver: an HTTP server that verifies the HMAC-SHA256 signature of every POST before it counts it;
 *  - FhirServer: the HAPI FHIR server of tools/fhir-server, started by scripts/fhir-server (built once, cached).
 * Each counts what it received by message id, so a test can say "every message exactly once". Ports come from
 * receiverPort(): CXR_EXTRA_PORT_BASE + 100 + n on a machine shared by several checkouts, else 18600 + n.
 */
import { execFile, execFileSync } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/config';
import type { StudySummary } from '../../src/contracts';
import {
  type AckCode,
  buildAck,
  DELIVERY_ID_HEADER,
  field,
  frameMllp,
  MllpDeframer,
  parseHl7,
  SIGNATURE_HEADER,
  verifyWebhook,
} from '../../src/delivery';
import type { OrthancClient } from '../../src/orthanc/client';
import { readStudyReports } from '../../src/orthanc/reports';

const run = promisify(execFile);

export function receiverPort(n: number): number {
  const base = process.env.CXR_EXTRA_PORT_BASE;
  return (base ? Number(base) + 100 : 18600) + n;
}

/** One attribute of a DICOM file, by keyword (dcmtk's dcmdump). */
export function dicomTag(file: string, keyword: string): string {
  const out = execFileSync('dcmdump', ['+P', keyword, '-q', file], { encoding: 'utf8' });
  const m = /\[(.*)\]/.exec(out);
  return m ? m[1].trim() : '';
}

/** Is anything listening? (A refused connection is the proof a receiver is down.) */
export function probe(port: number): Promise<'open' | 'refused' | 'other'> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve('open');
    });
    s.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED' ? 'refused' : 'other'));
  });
}

export interface Hl7Received {
  controlId: string;
  segments: string[][];
  raw: string;
  answered: AckCode;
}

/** An MLLP listener: parses every message, answers `policy(message, n)` (n counts from 1), keeps what it got. */
export class MllpListener {
  readonly received: Hl7Received[] = [];
  private server?: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(
    readonly port: number,
    private readonly policy: (controlId: string, n: number) => AckCode = () => 'AA',
  ) {}

  async start(): Promise<void> {
    const server = net.createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      const deframer = new MllpDeframer();
      socket.on('data', (chunk: Buffer) => {
        for (const raw of deframer.push(chunk)) {
          const segments = parseHl7(raw);
          const controlId = field(segments, 'MSH', 10) ?? '';
          if (segments[0]?.[0] !== 'MSH' || field(segments, 'MSH', 9) !== 'ORU^R01^ORU_R01') {
            socket.write(
              frameMllp(buildAck(raw, 'AR', `ack-${Date.now()}`, new Date().toISOString(), 'not an ORU^R01')),
            );
            continue;
          }
          const answered = this.policy(controlId, this.received.length + 1);
          this.received.push({ controlId, segments, raw, answered });
          const text = answered === 'AA' ? undefined : 'receiver not ready (test policy)';
          socket.write(
            frameMllp(buildAck(raw, answered, `ack${this.received.length}`, new Date().toISOString(), text)),
          );
        }
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Messages accepted (answered AA), by control id: each id's count. */
  acceptedById(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.received) if (r.answered === 'AA') out.set(r.controlId, (out.get(r.controlId) ?? 0) + 1);
    return out;
  }
}

export interface WebhookReceived {
  deliveryId: string;
  verified: boolean;
  why?: string;
  body: string;
}

/** An HTTP receiver that verifies the Cxr-Signature of each POST (HMAC-SHA256 over "<t>.<body>"). */
export class WebhookReceiver {
  readonly received: WebhookReceived[] = [];
  private server?: http.Server;

  constructor(
    readonly port: number,
    private readonly secret: string,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/cxr`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const sig = req.headers[SIGNATURE_HEADER];
        const v = verifyWebhook(this.secret, Array.isArray(sig) ? sig[0] : sig, body, Math.floor(Date.now() / 1000));
        const deliveryId = String(req.headers[DELIVERY_ID_HEADER] ?? '');
        this.received.push({ deliveryId, verified: v.ok, ...(v.ok ? {} : { why: v.why }), body });
        res.writeHead(v.ok ? 200 : 401, { 'content-type': 'application/json', connection: 'close' });
        res.end(JSON.stringify(v.ok ? { received: deliveryId } : { error: v.why }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  verifiedById(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.received) if (r.verified) out.set(r.deliveryId, (out.get(r.deliveryId) ?? 0) + 1);
    return out;
  }
}

const FHIR_SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'fhir-server');

/** The HAPI FHIR test server (scripts/fhir-server: built once and cached; a start takes ~10 s on a quiet machine). */
export class FhirServer {
  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/fhir`;
  }

  async start(): Promise<void> {
    await run(FHIR_SCRIPT, ['start', String(this.port)], { timeout: 600_000 });
  }

  async stop(): Promise<void> {
    await run(FHIR_SCRIPT, ['stop', String(this.port)], { timeout: 60_000 });
  }

  async search(type: string, query = ''): Promise<Record<string, unknown>[]> {
    const res = await fetch(`${this.url}/${type}${query ? `?${query}` : ''}`, {
      headers: { accept: 'application/fhir+json' },
    });
    if (!res.ok) throw new Error(`FHIR search ${type}?${query}: HTTP ${res.status}`);
    const bundle = (await res.json()) as { entry?: { resource: Record<string, unknown> }[] };
    return (bundle.entry ?? []).map((e) => e.resource);
  }

  async post(body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
}

/**
 * The study summary the study workflow would record, built from what a real ingest stored: one image per SR of the
 * study (done, with its positive findings), the highest findings over them. `completion` is the caller's.
 */
export async function summaryFromStoredReports(
  orthanc: OrthancClient,
  studyInstanceUid: string,
  completion: number,
  completedAt: string,
): Promise<StudySummary> {
  const reports = await readStudyReports(orthanc, studyInstanceUid);
  if (reports.length === 0) throw new Error(`no SR in study ${studyInstanceUid}`);
  const byProbability = <T extends { probability: number }>(xs: T[]): T[] =>
    [...xs].sort((a, b) => b.probability - a.probability);
  const all = reports.flatMap((r) => r.findings);
  const best = new Map<string, (typeof all)[number]>();
  for (const f of byProbability(all)) if (!best.has(f.label)) best.set(f.label, f);
  return {
    studyInstanceUid,
    completion,
    completedAt,
    completedBy: 'operator',
    model: { id: reports[0].algorithm.name, version: reports[0].algorithm.version },
    images: reports.map((r) => ({
      sopInstanceUid: r.sourceSopInstanceUid,
      seriesInstanceUid: r.seriesInstanceUid,
      status: 'done' as const,
      reportSopInstanceUid: r.sopInstanceUid,
      positiveFindings: byProbability(r.findings.filter((f) => f.positive)).slice(0, 5),
    })),
    highestFindings: byProbability([...best.values()]).slice(0, 5),
  };
}
