import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hostCheck, hostName } from '../../../src/serve/allowed-hosts.js';

describe('allowed hosts', () => {
  it('reads the name of a Host header without its port, case or trailing dot', () => {
    assert.equal(hostName('LocalHost:8080'), 'localhost');
    assert.equal(hostName('[::1]:8080'), '::1');
    assert.equal(hostName('[::1]'), '::1');
    assert.equal(hostName('example.com.'), 'example.com');
    assert.equal(hostName('10.0.0.5'), '10.0.0.5');
  });

  it('bound to loopback with no names configured: only localhost and IP addresses, so DNS rebinding is refused', () => {
    const allowed = hostCheck('127.0.0.1', [])!;
    for (const host of ['localhost:8080', '127.0.0.1:8080', '[::1]:8080', 'app.localhost', undefined]) assert.equal(allowed(host), true, String(host));
    for (const host of ['attacker.example:8080', 'localhost.attacker.example', '127.0.0.1.nip.io', 'sightline']) assert.equal(allowed(host), false, host);
  });

  it('configured names, with a leading dot for subdomains, join the loopback ones', () => {
    const allowed = hostCheck('localhost', ['sightline.internal', '.corp.example'])!;
    for (const host of ['sightline.internal:443', 'SIGHTLINE.internal', 'corp.example', 'a.b.corp.example', 'localhost']) assert.equal(allowed(host), true, host);
    for (const host of ['sightline.internal.attacker.example', 'xcorp.example', 'other.internal']) assert.equal(allowed(host), false, host);
  });

  it('bound to all addresses: any name unless names are configured, and then IP addresses too (a health check by pod IP)', () => {
    assert.equal(hostCheck('0.0.0.0', []), null);
    const allowed = hostCheck('0.0.0.0', ['sightline.example'])!;
    assert.equal(allowed('10.1.2.3:8080'), true);
    assert.equal(allowed('sightline.example'), true);
    assert.equal(allowed('other.example'), false);
  });
});
