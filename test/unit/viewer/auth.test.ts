/** The viewer's login, sessions, host check and trusted-header mode (src/viewer/auth.ts): pure, no services. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostNameOf, safeNext, ViewerAuth, type ViewerAuthOptions } from '../../../src/viewer/auth';

const opts: ViewerAuthOptions = {
  username: 'viewer',
  password: 'a-long-enough-secret',
  sessionHours: 8,
  secureCookies: true,
  allowedHosts: ['pacs.example.org'],
  listenHost: '127.0.0.1',
  trustedProxies: [],
};

describe('viewer auth', { timeout: 10_000 }, () => {
  it('parses Host headers and allows only its own names', () => {
    assert.equal(hostNameOf('LocalHost:8044'), 'localhost');
    assert.equal(hostNameOf('[::1]:8044'), '::1');
    assert.equal(hostNameOf('pacs.example.org.'), 'pacs.example.org');
    for (const bad of [undefined, '', 'a b', 'x:99999999', 'évil', 'a/b', 'x'.repeat(300)])
      assert.equal(hostNameOf(bad), undefined, String(bad));
    const a = new ViewerAuth(opts);
    for (const h of ['localhost:8044', '127.0.0.1', '[::1]:1', 'PACS.example.org:443']) assert.ok(a.hostAllowed(h), h);
    for (const h of ['evil.example:8044', '127.0.0.2', 'localhost.evil.example', undefined])
      assert.equal(a.hostAllowed(h), false, String(h));
    assert.ok(new ViewerAuth({ ...opts, listenHost: '10.1.2.3' }).hostAllowed('10.1.2.3:8044'));
    assert.equal(new ViewerAuth({ ...opts, listenHost: '0.0.0.0' }).hostAllowed('0.0.0.0'), false);
  });

  it('gives a session only for the right password, and locks an address out after ten wrong ones', () => {
    const a = new ViewerAuth(opts);
    assert.throws(() => new ViewerAuth({ ...opts, password: 'short' }), /at least 12/);
    assert.equal(a.login('viewer', 'wrong', '1.1.1.1'), undefined);
    assert.equal(a.login('Viewer', opts.password, '1.1.1.1'), undefined);
    const s = a.login('viewer', opts.password, '1.1.1.1');
    assert.ok(s);
    assert.match(s.cookie, /HttpOnly; SameSite=Strict; Max-Age=28800; Secure$/);
    assert.deepEqual(a.userOf({ cookie: `x=1; cxr_viewer_session=${s.token}` }, '1.1.1.1'), {
      name: 'viewer',
      via: 'viewer-login',
    });
    assert.equal(a.userOf({ cookie: 'cxr_viewer_session=forged' }, '1.1.1.1'), undefined);
    assert.match(a.logout(`cxr_viewer_session=${s.token}`), /Max-Age=0/);
    assert.equal(a.userOf({ cookie: `cxr_viewer_session=${s.token}` }, '1.1.1.1'), undefined, 'logged out');
    for (let i = 0; i < 10; i++) a.login('viewer', 'guess', '2.2.2.2');
    assert.equal(a.lockedOut('2.2.2.2'), true);
    assert.equal(a.lockedOut('1.1.1.1'), false);
    assert.doesNotMatch(
      new ViewerAuth({ ...opts, secureCookies: false }).login('viewer', opts.password, 'x')!.cookie,
      /Secure/,
    );
  });

  it('believes the user header only from a configured proxy', () => {
    const off = new ViewerAuth({ ...opts, trustedUserHeader: 'X-Forwarded-User' });
    assert.equal(off.userOf({ 'x-forwarded-user': 'mallory' }, '127.0.0.1'), undefined, 'no proxy configured: off');
    const on = new ViewerAuth({ ...opts, trustedUserHeader: 'X-Forwarded-User', trustedProxies: ['10.0.0.5'] });
    assert.deepEqual(on.userOf({ 'x-forwarded-user': 'dr.a' }, '::ffff:10.0.0.5'), {
      name: 'dr.a',
      via: 'trusted-proxy',
    });
    assert.equal(on.userOf({ 'x-forwarded-user': 'dr.a' }, '127.0.0.1'), undefined, 'another address');
    assert.equal(on.userOf({ 'x-forwarded-user': 'bad name' }, '10.0.0.5'), undefined);
  });

  it('redirects after login only to a path of its own', () => {
    assert.equal(safeNext('/viewer?StudyInstanceUIDs=1.2'), '/viewer?StudyInstanceUIDs=1.2');
    for (const bad of [undefined, '', 'http://evil', '//evil', '/\\evil', '/a\nb', 'javascript:x'])
      assert.equal(safeNext(bad), '/');
  });
});
