/**
 * Sending DICOM audit messages to a syslog collector: RFC 5424 messages over UDP (RFC 5426, one datagram
 * each) or TCP (RFC 6587 octet counting, as RFC 5425 frames them). Facility authpriv (10); severity notice
 * (5) for success, warning (4) for failures. MSGID IHE+RFC-3881, as IHE ATNA asks for DICOM audit XML.
 */
import dgram from 'node:dgram';
import net from 'node:net';

export interface SyslogTarget {
  protocol: 'udp' | 'tcp';
  host: string;
  port: number;
}

export class SyslogTargetError extends Error {
  readonly type = 'AuditSyslogTargetInvalid';
}

/** udp://host:port or tcp://host:port (IPv6 hosts in brackets). */
export function parseSyslogTarget(url: string): SyslogTarget {
  const m = /^(udp|tcp):\/\/(\[[^\]]+\]|[^:/]+):(\d{1,5})\/?$/.exec(url.trim());
  if (!m) throw new SyslogTargetError(`CXR_AUDIT_SYSLOG must be udp://host:port or tcp://host:port, not ${url}`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new SyslogTargetError(`CXR_AUDIT_SYSLOG: bad port ${m[3]}`);
  return { protocol: m[1] as 'udp' | 'tcp', host: m[2].replace(/^\[|\]$/g, ''), port };
}

const FACILITY_AUTHPRIV = 10;

/** One RFC 5424 message: `<PRI>1 TIMESTAMP HOST APP PROCID MSGID - BOM MSG`. */
export function rfc5424(opts: {
  time: string;
  host: string;
  pid: number;
  severity: number;
  msgId: string;
  msg: string;
}): Buffer {
  const field = (s: string, max: number): string => s.replace(/[^\x21-\x7e]/g, '').slice(0, max) || '-';
  const head = `<${FACILITY_AUTHPRIV * 8 + opts.severity}>1 ${opts.time} ${field(opts.host, 255)} cxr-pipeline ${opts.pid} ${field(opts.msgId, 32)} - `;
  return Buffer.concat([Buffer.from(head, 'ascii'), Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(opts.msg, 'utf8')]);
}

/** Send one message; rejects after timeoutMs. UDP datagrams above ~64 KB are refused by the OS. */
export async function sendSyslog(target: SyslogTarget, message: Buffer, timeoutMs = 3000): Promise<void> {
  if (target.protocol === 'udp') {
    const sock = dgram.createSocket(net.isIPv6(target.host) ? 'udp6' : 'udp4');
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) =>
          sock.send(message, target.port, target.host, (err) => (err ? reject(err) : resolve())),
        ),
        timeoutMs,
        target,
      );
    } finally {
      sock.close();
    }
    return;
  }
  const framed = Buffer.concat([Buffer.from(`${message.length} `, 'ascii'), message]);
  const sock = net.connect({ host: target.host, port: target.port });
  try {
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        sock.once('error', reject);
        sock.once('connect', () => sock.end(framed, () => resolve()));
      }),
      timeoutMs,
      target,
    );
  } finally {
    sock.destroy();
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, target: SyslogTarget): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`syslog ${target.protocol}://${target.host}:${target.port} did not answer in ${ms} ms`)),
      ms,
    );
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
