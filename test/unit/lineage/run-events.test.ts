import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildLineageModel } from '../../../src/lineage/lineage-model.js';
import { RUN_EVENT_SCHEMA_URL } from '../../../src/lineage/openlineage-facets.js';
import { buildRunEvent } from '../../../src/lineage/run-events.js';
import { uuidv7 } from '../../../src/lineage/uuid-v7.js';
import { sampleLineageStats, T0 } from '../../helpers/lineage.js';
import { openLineageValidator } from '../../helpers/openlineage.js';

const validator = openLineageValidator();
const PRODUCER = 'urn:sightline:test';

describe('OpenLineage RunEvents', () => {
  const model = buildLineageModel(sampleLineageStats(), 'sightline');

  it('are valid against the 2-0-2 RunEvent schema and each facet schema, for every job and event type', () => {
    for (const job of model.jobs) {
      for (const eventType of ['START', 'RUNNING', 'COMPLETE', 'FAIL'] as const) {
        const event = buildRunEvent({ eventType, eventTime: T0, runId: uuidv7(T0), job, model, producer: PRODUCER, ...(eventType === 'FAIL' && { error: 'stalled' }) });
        assert.deepEqual(validator.problems(event), [], `${job.name} ${eventType}`);
      }
    }
  });

  it('catches what the schemas forbid, so a passing check means something', () => {
    const job = model.jobs[1]!;
    const good = buildRunEvent({ eventType: 'START', eventTime: T0, runId: uuidv7(T0), job, model, producer: PRODUCER }) as any;
    const broken = structuredClone(good);
    broken.run.runId = 'not-a-uuid';
    broken.eventType = 'STARTED';
    broken.job.facets.jobType.processingType = undefined;
    delete broken.job.facets.jobType.processingType;
    broken.outputs[0].outputFacets.outputStatistics.rowCount = 'many';
    broken.inputs[0].facets.dataSource._schemaURL = 'https://openlineage.io/spec/facets/9-9-9/Nope.json#/$defs/Nope';
    broken.inputs[0].facets.documentation.description = 7;
    const problems = validator.problems(broken).join('\n');
    for (const expected of ['/run/runId must match format "uuid"', '/eventType must be equal to one of the allowed values', "must have required property 'processingType'", '/rowCount must be integer', 'names no vendored facet schema', '/description must be string']) {
      assert.ok(problems.includes(expected), `expected "${expected}" in:\n${problems}`);
    }
  });

  it('describe a streaming job, its datasets and what it wrote', () => {
    const job = model.jobs.find((j) => j.name === 'sightline.process.main')!;
    const event = buildRunEvent({ eventType: 'RUNNING', eventTime: T0, runId: uuidv7(T0), job, model, producer: PRODUCER });
    assert.equal(event.schemaURL, RUN_EVENT_SCHEMA_URL);
    assert.equal(event.eventTime, new Date(T0).toISOString());
    assert.deepEqual({ ...event.job.facets!.jobType, _producer: undefined, _schemaURL: undefined }, { _producer: undefined, _schemaURL: undefined, processingType: 'STREAMING', integration: 'SIGHTLINE', jobType: 'PIPELINE' });
    assert.deepEqual(event.inputs.map((d) => d.name), ['/data/sl/log/events', '/cfg/users.csv']);
    const assertions = (event.inputs[0]!.inputFacets!.dataQualityAssertions as any).assertions;
    assert.deepEqual(assertions, [
      { assertion: 'web.page_view: page-format (regex, error)', success: false },
      { assertion: 'web.page_view: user-required (required, warn)', success: true },
    ]);
    const hotEvents = event.outputs.find((d) => d.name === 'sightline.main.events')!;
    assert.deepEqual((hotEvents.facets!.schema as any).fields, [{ name: 'id', type: 'VARCHAR' }, { name: 'timestamp', type: 'BIGINT' }]);
    assert.equal((hotEvents.outputFacets!.outputStatistics as any).rowCount, 250);
    const ingest = buildRunEvent({ eventType: 'START', eventTime: T0, runId: uuidv7(T0), job: model.jobs[0]!, model, producer: PRODUCER });
    assert.deepEqual((ingest.inputs[0]!.facets!.schema as any).fields, [{ name: 'user_id', type: 'string', description: 'who' }, { name: 'page', type: 'string' }]);
    // A source without a registered contract has no schema to report.
    assert.equal(ingest.inputs[1]!.facets!.schema, undefined);
  });

  it('carry the reason of a FAIL in an ErrorMessageRunFacet', () => {
    const event = buildRunEvent({ eventType: 'FAIL', eventTime: T0, runId: uuidv7(T0), job: model.jobs[1]!, model, producer: PRODUCER, error: 'hot store: disk full' });
    assert.equal((event.run.facets!.errorMessage as any).message, 'hot store: disk full');
    assert.deepEqual(validator.problems(event), []);
  });

  it('run ids are UUID version 7, ordered by their time', () => {
    const a = uuidv7(T0);
    const b = uuidv7(T0 + 1);
    assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(parseInt(a.replace(/-/g, '').slice(0, 12), 16), T0);
    assert.ok(a < b);
  });
});
