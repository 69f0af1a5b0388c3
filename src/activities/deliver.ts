/**
 * Result delivery's I/O (issue 25): plan the sinks of a delivery, then one activity per sink kind, each idempotent by
 * a stable message id (src/delivery/message-id.ts) and each returning the receiver's receipt.
 *
 * Errors: a receiver that does not answer, times out or fails (5xx, 408, 429) -> DeliveryUnavailable, and an HL7
 * AE/AR -> DeliveryNegativeAck, both retried by the workflow's policy (24 h); a 4xx (bad signature, invalid FHIR
 * resource) -> DeliveryRejected, and a sink missing from this worker's configuration -> DeliveryMisconfigured, both
 * final. The patient module is read from Orthanc here and never leaves the activity (no Temporal payload holds it).
 */
import net from 'node:net';
import { Context } from '@temporalio/activity';
import { audit } from '../audit';
import { readWebhookSecret, type DeliveryConfig } from '../config';
import type { StudySummary } from '../contracts';
import {
  buildFhirBundle,
  buildOruR01,
  deliveryMessageId,
  DELIVERY_ID_HEADER,
  frameMllp,
  MllpDeframer,
  parseAck,
  SIGNATURE_HEADER,
  signWebhook,
  webhookBody,
  type DeliveryPatient,
  type DeliveryReceipt,
  type DeliveryStudy,
  type SinkDeliveryInput,
  type SinkKind,
  type SinkPlan,
} from '../delivery';
import {
  asTemporalFailure,
  DeliveryMisconfiguredError,
  DeliveryNegativeAckError,
  DeliveryRejectedError,
  DeliveryUnavailableError,
  OrthancNotFoundError,
} from '../errors';
import type { OrthancClient } from '../orthanc/client';
import type { ActivityDeps } from './deps';

/** Where each configured sink goes, for operators (never a secret). */
export function sinkTargets(cfg: DeliveryConfig): Partial<Record<SinkKind, string>> {
  const out: Partial<Record<SinkKind, string>> = {};
  if (cfg.webhook) out.webhook = cfg.webhook.url;
  if (cfg.hl7) out.hl7 = `mllp://${cfg.hl7.host}:${cfg.hl7.port}`;
  if (cfg.fhir) out.fhir = cfg.fhir.url;
  return out;
}

/** The source's patient module and the study's attributes, from Orthanc. */
export async function readStudyContext(
  orthanc: OrthancClient,
  studyInstanceUid: string,
): Promise<{ patient: DeliveryPatient; study: DeliveryStudy }> {
  const ids = await orthanc.lookup(studyInstanceUid, 'Study');
  if (ids.length === 0) {
    throw new OrthancNotFoundError(
      `Orthanc has no study ${studyInstanceUid} (deleted after it completed?): nothing to deliver about it`,
    );
  }
  const s = await orthanc.getStudy(ids[0]);
  const p = s.PatientMainDicomTags ?? {};
  // IssuerOfPatientID is not among Orthanc's main tags: read it from one instance of the study.
  let issuer: string | undefined;
  const instances = await orthanc.getStudyInstances(ids[0]);
  if (instances.length > 0) {
    const v = (await orthanc.getInstanceTags(instances[0].ID)).IssuerOfPatientID;
    if (typeof v === 'string' && v.trim() !== '') issuer = v.trim();
  }
  const t = s.MainDicomTags ?? {};
  const opt = (v: string | undefined): string | undefined => (v && v.trim() !== '' ? v.trim() : undefined);
  return {
    patient: {
      id: opt(p.PatientID) ?? 'UNKNOWN',
      ...(issuer ? { issuer } : {}),
      ...(opt(p.PatientName) ? { name: opt(p.PatientName) } : {}),
      ...(opt(p.PatientBirthDate) ? { birthDate: opt(p.PatientBirthDate) } : {}),
      ...(opt(p.PatientSex) ? { sex: opt(p.PatientSex) } : {}),
    },
    study: {
      studyInstanceUid,
      ...(opt(t.AccessionNumber) ? { accessionNumber: opt(t.AccessionNumber) } : {}),
      ...(opt(t.StudyDescription) ? { description: opt(t.StudyDescription) } : {}),
      ...(opt(t.StudyDate) ? { studyDate: opt(t.StudyDate) } : {}),
      ...(opt(t.StudyTime) ? { studyTime: opt(t.StudyTime) } : {}),
    },
  };
}

/** An HTTP answer, classified: 2xx returns; 5xx/408/429 retry; any other status is a refusal. */
async function post(
  what: string,
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<{ status: number; text: string }> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    throw new DeliveryUnavailableError(`${what} at ${url} did not answer (${cause}); will retry`, { cause: err });
  }
  const text = await res.text();
  if (res.ok) return { status: res.status, text };
  if (res.status >= 500 || res.status === 408 || res.status === 429) {
    throw new DeliveryUnavailableError(`${what} at ${url} failed with HTTP ${res.status}; will retry`);
  }
  throw new DeliveryRejectedError(`${what} at ${url} refused the message: HTTP ${res.status} ${detailOf(text)}`);
}

/** The errors of a FHIR OperationOutcome, or the start of any other body. */
function detailOf(text: string): string {
  try {
    const o = JSON.parse(text) as { resourceType?: string; issue?: { severity?: string; diagnostics?: string }[] };
    if (o.resourceType === 'OperationOutcome' && Array.isArray(o.issue)) {
      const errors = o.issue.filter((i) => i.severity === 'error' || i.severity === 'fatal');
      return errors
        .slice(0, 3)
        .map((i) => i.diagnostics ?? '')
        .join('; ');
    }
  } catch {
    // not JSON
  }
  return text.slice(0, 300);
}

/** Send one framed message and wait for the ACK frame. */
export function mllpExchange(host: string, port: number, message: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const deframer = new MllpDeframer();
    let settled = false;
    const settle = (fn: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const where = `HL7 listener ${host}:${port}`;
    const timer = setTimeout(
      () => settle(() => reject(new DeliveryUnavailableError(`${where}: no ACK within ${timeoutMs} ms; will retry`))),
      timeoutMs,
    );
    socket.on('connect', () => socket.write(frameMllp(message)));
    socket.on('data', (chunk: Buffer) => {
      const [ack] = deframer.push(chunk);
      if (ack !== undefined) settle(() => resolve(ack));
    });
    socket.on('error', (err: NodeJS.ErrnoException) =>
      settle(() =>
        reject(new DeliveryUnavailableError(`${where} did not answer (${err.code ?? err.message}); will retry`)),
      ),
    );
    socket.on('close', () =>
      settle(() => reject(new DeliveryUnavailableError(`${where} closed the connection before its ACK; will retry`))),
    );
  });
}

export function makeDeliveryActivities(deps: ActivityDeps) {
  const cfg: DeliveryConfig = deps.delivery ?? { timeoutMs: 30000 };
  const { orthanc } = deps;

  function misconfigured(sink: SinkKind): never {
    throw new DeliveryMisconfiguredError(
      `The ${sink} sink is not configured on this worker (CXR_DELIVER_*); configure it or run a worker that has it`,
    );
  }

  /** Record the receipt: the audit trail (when configured) gets one line per delivered message. */
  async function receipted(input: SinkDeliveryInput, target: string, receipt: string): Promise<DeliveryReceipt> {
    const info = Context.current().info;
    const out: DeliveryReceipt = {
      sink: input.sink,
      messageId: input.messageId,
      target,
      deliveredAt: new Date().toISOString(),
      attempt: info.attempt,
      receipt,
    };
    if (deps.audit) {
      try {
        await audit(
          deps.audit,
          'result-delivery',
          {
            workflowId: info.workflowExecution?.workflowId,
            studyInstanceUid: input.summary.studyInstanceUid,
            completion: input.summary.completion,
            sink: input.sink,
            target,
            messageId: input.messageId,
            receipt,
          },
          'success',
        );
      } catch (err) {
        // The receiver has the message: an unwritable log must not make the workflow send it again.
        Context.current().log.warn(`audit: could not record the delivery receipt: ${(err as Error).message}`);
      }
    }
    return out;
  }

  async function refusedForGood<T>(input: SinkDeliveryInput, target: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (deps.audit && (err instanceof DeliveryRejectedError || err instanceof DeliveryMisconfiguredError)) {
        await audit(
          deps.audit,
          'result-delivery',
          {
            workflowId: Context.current().info.workflowExecution?.workflowId,
            studyInstanceUid: input.summary.studyInstanceUid,
            completion: input.summary.completion,
            sink: input.sink,
            target,
            messageId: input.messageId,
          },
          'serious-failure',
          `[${err.type}] ${err.message}`,
        ).catch(() => undefined);
      }
      throw err;
    }
  }

  return {
    /** The sinks this delivery goes to, with their stable message ids (recorded in the workflow's history). */
    async planDelivery(input: Pick<StudySummary, 'studyInstanceUid' | 'completion'>): Promise<SinkPlan[]> {
      const targets = sinkTargets(cfg);
      return (['webhook', 'hl7', 'fhir'] as const)
        .filter((k) => targets[k] !== undefined)
        .map((sink) => ({
          sink,
          messageId: deliveryMessageId(input.studyInstanceUid, input.completion, sink),
          target: targets[sink] as string,
        }));
    },

    async deliverWebhook(input: SinkDeliveryInput): Promise<DeliveryReceipt> {
      const target = cfg.webhook?.url ?? '';
      return asTemporalFailure(() =>
        refusedForGood(input, target, async () => {
          if (!cfg.webhook) misconfigured('webhook');
          const secret = readWebhookSecret(cfg.webhook.secretFile);
          if (secret === undefined) {
            throw new DeliveryMisconfiguredError(
              `The webhook secret ${cfg.webhook.secretFile} is missing or empty (scripts/services start worker makes it)`,
            );
          }
          const body = webhookBody(input.messageId, input.summary);
          const timestamp = Math.floor(Date.now() / 1000);
          const res = await post(
            'The webhook',
            cfg.webhook.url,
            body,
            {
              'content-type': 'application/json',
              [DELIVERY_ID_HEADER]: input.messageId,
              [SIGNATURE_HEADER]: signWebhook(secret, timestamp, body),
            },
            cfg.timeoutMs,
          );
          return receipted(input, target, `HTTP ${res.status}${res.text ? ` ${res.text.slice(0, 200)}` : ''}`);
        }),
      );
    },

    async deliverHl7(input: SinkDeliveryInput): Promise<DeliveryReceipt> {
      const target = cfg.hl7 ? `mllp://${cfg.hl7.host}:${cfg.hl7.port}` : '';
      return asTemporalFailure(() =>
        refusedForGood(input, target, async () => {
          if (!cfg.hl7) misconfigured('hl7');
          const { patient, study } = await readStudyContext(orthanc, input.summary.studyInstanceUid);
          const message = buildOruR01({
            ...cfg.hl7,
            controlId: input.messageId,
            patient,
            study,
            summary: input.summary,
          });
          const answer = await mllpExchange(cfg.hl7.host, cfg.hl7.port, message, cfg.timeoutMs);
          let ack;
          try {
            ack = parseAck(answer);
          } catch (err) {
            throw new DeliveryNegativeAckError(
              `${target} answered something that is not an ACK: ${(err as Error).message}`,
            );
          }
          if (ack.controlId !== input.messageId) {
            throw new DeliveryNegativeAckError(
              `${target} acknowledged ${ack.controlId}, not ${input.messageId}; will retry`,
            );
          }
          if (ack.code !== 'AA' && ack.code !== 'CA') {
            const why = [ack.text, ack.error].filter(Boolean).join('; ');
            throw new DeliveryNegativeAckError(`${target} answered ${ack.code}${why ? ` (${why})` : ''}; will retry`);
          }
          return receipted(input, target, `MSA|${ack.code}|${ack.controlId}${ack.text ? `|${ack.text}` : ''}`);
        }),
      );
    },

    async deliverFhir(input: SinkDeliveryInput): Promise<DeliveryReceipt> {
      const target = cfg.fhir?.url ?? '';
      return asTemporalFailure(() =>
        refusedForGood(input, target, async () => {
          if (!cfg.fhir) misconfigured('fhir');
          const { patient, study } = await readStudyContext(orthanc, input.summary.studyInstanceUid);
          const bundle = buildFhirBundle({ messageId: input.messageId, patient, study, summary: input.summary });
          const res = await post(
            'The FHIR server',
            cfg.fhir.url,
            JSON.stringify(bundle),
            { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' },
            cfg.timeoutMs,
          );
          let location = '';
          try {
            const answer = JSON.parse(res.text) as { entry?: { response?: { location?: string } }[] };
            // The report is the bundle's last entry; its location names the stored version.
            location = answer.entry?.[bundle.entry.length - 1]?.response?.location ?? '';
          } catch {
            // a server that answers 200 without a body
          }
          return receipted(input, target, location || `HTTP ${res.status}`);
        }),
      );
    },
  };
}
