// One registry node in a process of its own, for the cross-process fencing test:
//   node dist/test/tools/registry-writer.js --brokers h:p --prefix p. --name n --subject s --from 0 --count 10
// Opens the registry, prints "ready", waits for "go" on stdin, registers schemas from..from+count-1
// of compatibleSchema concurrently, prints their results as one JSON line and exits.
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { compatibleSchema, openRegistryNode } from '../helpers/registry-nodes.js';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string' },
    prefix: { type: 'string' },
    name: { type: 'string' },
    subject: { type: 'string' },
    from: { type: 'string', default: '0' },
    count: { type: 'string', default: '10' },
  },
});
const node = await openRegistryNode(values.brokers!.split(','), values.prefix!, values.name!);
console.log('ready');
const lines = createInterface({ input: process.stdin });
for await (const line of lines) if (line.trim() === 'go') break;
lines.close();
const from = Number(values.from);
const started = performance.now();
const results = await Promise.all(
  Array.from({ length: Number(values.count) }, (_, i) => node.registry.register(values.subject!, compatibleSchema(from + i))),
);
console.log(JSON.stringify({ results, ms: performance.now() - started }));
await node.close();
