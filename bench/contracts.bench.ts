import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import avro from 'avsc';
import { ContractChecker } from '../src/contracts/contract-checker.js';
import { ContractStats } from '../src/contracts/contract-stats.js';
import { checkEnvelope } from '../src/core/event-check.js';
import { MemorySchemaStore } from '../src/registry/store/memory-schema-store.js';
import { SchemaRegistry } from '../src/registry/schema-registry.js';
import type { BenchContext } from './lib/context.js';
import { startBenchPlatform } from './lib/context.js';
import { makeEvent } from './lib/events.js';
import { runLoad } from './lib/load.js';
import { round } from './lib/stats.js';

const PAGE_VIEW_JSON_SCHEMA = fileURLToPath(new URL('../../examples/contracts/web.page_view.json', import.meta.url));
const PAGE_VIEW_AVRO = {
  type: 'record',
  name: 'PageView',
  fields: [
    { name: 'user_id', type: 'string' },
    { name: 'page', type: 'string' },
    { name: 'referrer', type: ['null', 'string'], default: null },
    { name: 'session_id', type: ['null', 'string'], default: null },
  ],
};
const LIMITS = { maxEventBytes: 1 << 20, maxDepth: 32, maxStringLength: 65_536, maxFutureSkewMs: 86_400_000 };


/**
 * What a data contract costs at ingest. First in one thread on the same decoded events: the
 * envelope check alone, then with the contract check for a JSON Schema contract, an Avro
 * contract (JSON payload), and an Avro payload in the Confluent wire format. Then the real
 * platform's ingest rate with and without the page_view contract, same load.
 */
export async function contractsBench(ctx: BenchContext): Promise<void> {
  const events = ctx.short ? 20_000 : 500_000;
  const registry = await SchemaRegistry.open(new MemorySchemaStore());
  await registry.register('web.page_view', { schemaType: 'JSON', schema: await readFile(PAGE_VIEW_JSON_SCHEMA, 'utf8') });
  await registry.register('web.page_view_avro', { schema: JSON.stringify(PAGE_VIEW_AVRO) });
  const avroId = registry.findVersion('web.page_view_avro', 'latest')!.id;
  const checker = new ContractChecker(registry, 'reject', new ContractStats(new Registry()));
  const avroType = avro.Type.forSchema(PAGE_VIEW_AVRO as avro.Schema);
  const header = Buffer.alloc(5);
  header.writeInt32BE(avroId, 1);

  const base = Array.from({ length: events }, (_, i) => makeEvent(i, 'small', Date.now() - 60_000, 'c'));
  const variants: Array<{ name: string; make: (e: Record<string, unknown>) => Record<string, unknown>; contract: boolean }> = [
    { name: 'envelope only (no contract)', make: (e) => e, contract: false },
    { name: 'JSON Schema contract', make: (e) => e, contract: true },
    { name: 'Avro contract, JSON payload', make: (e) => ({ ...e, type: 'page_view_avro' }), contract: true },
    {
      name: 'Avro contract, wire-format payload',
      make: (e) => ({ ...e, type: 'page_view_avro', payload: Buffer.concat([header, avroType.toBuffer(e.payload)]).toString('base64') }),
      contract: true,
    },
  ];
  const results: Record<string, number> = {};
  for (const variant of variants) {
    let best = Infinity;
    for (let run = 0; run < 3; run++) {
      // Batches of 1000 fresh copies, as ingest sees them (the checks stamp metadata and decode
      // payloads in place); only the checks are timed.
      let elapsed = 0;
      let rejected = 0;
      for (let start = 0; start < events; start += 1000) {
        const inputs = base.slice(start, start + 1000).map((e) => structuredClone(variant.make(e)));
        const t = performance.now();
        for (const raw of inputs) {
          if (variant.contract && checker.decodeWirePayload(raw)) rejected++;
          const envelope = checkEnvelope(raw, LIMITS, Date.now());
          if (!envelope.ok) rejected++;
          else if (variant.contract && !checker.check(envelope.event, Date.now()).ok) rejected++;
        }
        elapsed += performance.now() - t;
      }
      best = Math.min(best, elapsed);
      if (rejected > 0) throw new Error(`${variant.name}: ${rejected} events rejected`);
    }
    results[variant.name] = (best * 1000) / events;
  }
  const baseline = results['envelope only (no contract)']!;
  for (const [name, us] of Object.entries(results)) {
    ctx.log(`contracts: ${name}: ${round(us, 2)} µs/event (contract ${round(us - baseline, 2)} µs)`);
    await ctx.sink.record(
      'contracts',
      'Contract checks at ingest (one thread, same events)',
      ['events', 'check', 'µs/event', 'of which the contract (µs)', 'events/s per core'],
      [events, name, round(us, 2), round(us - baseline, 2), Math.round(1e6 / us)],
      { events, name, usPerEvent: us, contractUs: us - baseline },
    );
  }

  const loadEvents = ctx.short ? 10_000 : 400_000;
  for (const withContract of [false, true]) {
    const platform = await startBenchPlatform(ctx, `contracts-${withContract}`, withContract ? {} : { contracts: { unknown: 'accept', register: [] } });
    try {
      const report = await runLoad({
        url: platform.url,
        shape: 'small',
        batchSize: 1000,
        batches: loadEvents / 1000,
        concurrency: 8,
        startTimestamp: Date.now() - 3_600_000,
        msPerEvent: 3_600_000 / loadEvents,
        idPrefix: `k${withContract}`,
        targetRate: 0,
      });
      if (report.accepted !== loadEvents) throw new Error(`accepted ${report.accepted} of ${loadEvents}`);
      const rate = (report.accepted / report.elapsedMs) * 1000;
      const label = withContract ? 'page_view JSON Schema contract' : 'no contract (contracts.unknown: accept)';
      ctx.log(`contracts: ingest at concurrency 8, ${label}: ${Math.round(rate)} events/s`);
      await ctx.sink.record(
        'contracts-ingest',
        'Ingest with and without a contract (real platform, concurrency 8)',
        ['events', 'contract', 'accepted events/s'],
        [loadEvents, label, Math.round(rate)],
        { loadEvents, withContract, ...report, latenciesMs: undefined },
      );
    } finally {
      await platform.stop();
    }
  }
}
