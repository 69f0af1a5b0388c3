/** DICOM audit messages (PS3.15 A.5) and RFC 5424 framing: pure, no services. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUDIT_EVENTS, dicomAuditMessage, xmlEscape } from '../../../src/audit/dicom-audit';
import type { AuditAction, AuditRecord } from '../../../src/audit/record';
import { parseSyslogTarget, rfc5424 } from '../../../src/audit/syslog';

const base: AuditRecord = {
  v: 1,
  time: '2026-11-27T12:00:00.000Z',
  who: 'alice',
  osUser: 'root',
  host: 'ws1',
  pid: 42,
  temporalIdentity: 'alice@ws1',
  action: 'ingest',
  what: { ingestId: 'ingest-abc', zipSha256: 'abc', zipPath: '/in/<a&b>.zip', counts: { done: 3, failed: 1 } },
  outcome: 'minor-failure',
  message: 'exit "2"',
};

describe('DICOM audit message', { timeout: 10_000 }, () => {
  it('maps an ingest to Import with the operator, the workflow, the zip and the counts', () => {
    const xml = dicomAuditMessage(base);
    assert.match(xml, /^<\?xml version="1.0" encoding="UTF-8"\?><AuditMessage><EventIdentification /);
    assert.match(xml, /EventActionCode="C" EventDateTime="2026-11-27T12:00:00.000Z" EventOutcomeIndicator="4"/);
    assert.match(xml, /<EventID csd-code="110107" codeSystemName="DCM" originalText="Import"\/>/);
    assert.match(xml, /<EventTypeCode csd-code="ingest" codeSystemName="99CXR"/);
    assert.match(xml, /<EventOutcomeDescription>exit &#34;2&#34;<\/EventOutcomeDescription>/);
    assert.match(
      xml,
      /<ActiveParticipant UserID="alice" AlternativeUserID="root" UserName="alice@ws1" UserIsRequestor="true"/,
    );
    assert.match(xml, /<RoleIDCode csd-code="110153"/);
    assert.match(
      xml,
      /ParticipantObjectID="ingest-abc" ParticipantObjectTypeCode="2" ParticipantObjectTypeCodeRole="20"/,
    );
    assert.match(xml, /<ParticipantObjectName>\/in\/&#60;a&#38;b&#62;.zip<\/ParticipantObjectName>/);
    assert.match(xml, /<ParticipantObjectDetail type="counts.done" value="Mw=="\/>/);
    assert.ok(xml.endsWith('</ParticipantObjectIdentification></AuditMessage>'));
    // Element order of the schema: EventIdentification, ActiveParticipant+, AuditSourceIdentification, objects.
    const order = [
      '<EventIdentification',
      '<ActiveParticipant',
      '<AuditSourceIdentification',
      '<ParticipantObjectIdentification',
    ];
    const at = order.map((t) => xml.indexOf(t));
    assert.deepEqual(
      [...at].sort((a, b) => a - b),
      at,
    );
  });

  it('has an event for every action, and follow start/stop are Application Start/Stop', () => {
    const actions = Object.keys(AUDIT_EVENTS) as AuditAction[];
    for (const action of actions) {
      const xml = dicomAuditMessage({ ...base, action, what: { workflowId: 'w' }, outcome: 'success' });
      assert.match(xml, /EventOutcomeIndicator="0"/, action);
      assert.match(xml, new RegExp(`csd-code="${action}" codeSystemName="99CXR"`), action);
    }
    const start = dicomAuditMessage({ ...base, action: 'follow-start', what: { workflowId: 'follow-x' } });
    assert.match(start, /<EventID csd-code="110100"/);
    assert.match(start, /<EventTypeCode csd-code="110120"/);
    assert.match(start, /<RoleIDCode csd-code="110151"/);
    const study = dicomAuditMessage({ ...base, action: 'reprocess', what: { studyInstanceUid: '1.2.3', since: 'x' } });
    assert.match(study, /ParticipantObjectID="1.2.3"[^>]*><ParticipantObjectIDTypeCode csd-code="110180"/);
    assert.match(study, /type="since"/);
  });

  it('escapes markup and drops control characters', () => {
    assert.equal(xmlEscape(`a<b>&"'\u0001\tz`), 'a&#60;b&#62;&#38;&#34;&#39;\tz');
  });
});

describe('syslog framing', { timeout: 10_000 }, () => {
  it('writes RFC 5424 with authpriv priority, a BOM and the XML', () => {
    const m = rfc5424({ time: base.time, host: 'ws 1', pid: 7, severity: 5, msgId: 'IHE+RFC-3881', msg: '<x/>' });
    assert.equal(m.toString('utf8'), '<85>1 2026-11-27T12:00:00.000Z ws1 cxr-pipeline 7 IHE+RFC-3881 - \uFEFF<x/>');
  });
  it('parses collector URLs and refuses others', () => {
    assert.deepEqual(parseSyslogTarget('udp://127.0.0.1:514'), { protocol: 'udp', host: '127.0.0.1', port: 514 });
    assert.deepEqual(parseSyslogTarget('tcp://[::1]:601'), { protocol: 'tcp', host: '::1', port: 601 });
    assert.throws(() => parseSyslogTarget('http://x:1'), /udp:\/\/host:port/);
    assert.throws(() => parseSyslogTarget('udp://x:99999'), /bad port/);
  });
});
