/**
 * Inference results are bound to their request (src/activities/result-binding.ts): a classification signed with the
 * workers' key for this workflow and instance passes; made-up findings (a rogue worker on the inference queue), a
 * genuine result moved to another image or workflow, an edited probability, a missing or foreign-key MAC are refused
 * with InferenceResultUnverified before anything is stored. No services (MockActivityEnvironment gives the activity
 * context the check reads the workflow ID from).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { assertResultBound, bindResult, canonicalJson, resultIsBound } from '../../../src/activities/result-binding';
import type { ClassifyOutput } from '../../../src/contracts';

const key = Buffer.from('k'.repeat(43));
const c: ClassifyOutput = {
  model: {
    id: 'demo',
    version: '1.0.0',
    name: 'Demo',
    manufacturer: 'x',
    diagnostic: false,
  } as ClassifyOutput['model'],
  findings: [{ label: 'Effusion', probability: 0.8, threshold: 0.5, positive: true }] as ClassifyOutput['findings'],
  timingsMs: { infer: 3 },
  inputArea: { top: 0, left: 0, height: 10, width: 10 },
};

describe('inference result binding', { timeout: 10_000 }, () => {
  it('is canonical: key order does not matter, values do', () => {
    assert.equal(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] }), '{"a":[1,{"c":3,"d":2}],"b":1}');
    assert.equal(canonicalJson({ a: undefined, b: null }), '{"b":null}');
    const shuffled = JSON.parse(
      JSON.stringify({ inputArea: c.inputArea, findings: c.findings, model: c.model, timingsMs: {} }),
    );
    assert.equal(bindResult(key, 'wf', 'o1', shuffled as ClassifyOutput), bindResult(key, 'wf', 'o1', c));
  });

  it('accepts only the signed result of this workflow and instance', () => {
    const signed = { ...c, binding: bindResult(key, 'wf', 'o1', c) };
    assert.ok(resultIsBound(key, 'wf', 'o1', signed));
    assert.ok(resultIsBound(key, 'wf', 'o1', { ...signed, timingsMs: { infer: 99 } }), 'timings are not covered');
    assert.equal(resultIsBound(key, 'wf', 'o2', signed), false, 'another image');
    assert.equal(resultIsBound(key, 'wf2', 'o1', signed), false, 'another workflow');
    assert.equal(resultIsBound(Buffer.from('other'), 'wf', 'o1', signed), false, 'another key');
    const edited = { ...signed, findings: [{ ...c.findings[0], probability: 0.01 }] };
    assert.equal(resultIsBound(key, 'wf', 'o1', edited), false, 'an edited finding');
    assert.equal(resultIsBound(key, 'wf', 'o1', c), false, 'no MAC');
    assert.equal(resultIsBound(key, 'wf', 'o1', { ...c, binding: 'zz' }), false);
  });

  it('refuses an unbound result in the activity, with the declared type', async () => {
    const env = new MockActivityEnvironment();
    const workflowId = env.context.info.workflowExecution?.workflowId ?? '';
    const signed = { ...c, binding: bindResult(key, workflowId, 'o1', c) };
    await env.run(async () => assertResultBound(key, 'o1', signed));
    const rogue = { ...c, findings: [{ ...c.findings[0], label: 'Pneumothorax' }], binding: signed.binding };
    await assert.rejects(
      env.run(async () => assertResultBound(key, 'o1', rogue)),
      (err: Error & { type?: string }) =>
        err.type === 'InferenceResultUnverified' && /Nothing was stored/.test(err.message),
    );
  });
});
