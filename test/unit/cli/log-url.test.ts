import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseLogUrl } from '../../../src/cli/up.js';

describe('--log', () => {
  it('takes kafka://host:port[,host:port...] as the brokers, and embedded as none', () => {
    assert.deepEqual(parseLogUrl('kafka://localhost:9092'), ['localhost:9092']);
    assert.deepEqual(parseLogUrl('kafka://k1:9092,k2:9093,10.0.0.3:9094/'), ['k1:9092', 'k2:9093', '10.0.0.3:9094']);
    assert.equal(parseLogUrl('embedded'), undefined);
  });

  it('refuses anything else with SL_CLI_USAGE and what it expects', () => {
    for (const bad of ['kafka://', 'kafka://k1', 'kafka://k1:port', 'http://k1:9092', 'k1:9092', 'kafka://k1:9092/topic', 'kafka://k 1:9092']) {
      assert.throws(() => parseLogUrl(bad), (err: any) => err.code === 'SL_CLI_USAGE' && /kafka:\/\/host:port/.test(err.message), bad);
    }
  });
});
