// Writes docs/errors.md from the closed set of codes in src/core/errors.ts (run after `npm run build`).
import { writeFileSync } from 'node:fs';

const { ERROR_CODES } = await import('../dist/src/core/errors.js');
const rows = Object.entries(ERROR_CODES).map(([code, v]) => `| \`${code}\` | ${v.status} | ${v.retryable ? 'yes' : 'no'} | ${v.summary} |`);
writeFileSync(
  new URL('../docs/errors.md', import.meta.url),
  `# Error codes

Every error Sightline reports carries one code from this closed set (\`src/core/errors.ts\`). Over HTTP
the body is always \`{"code": "...", "message": "..."}\` with the status below; 429 and 503 also send
\`Retry-After\`. Codes starting with \`SL_EVENT_\` or \`SL_CONTRACT_\` are per event: they appear in the
\`rejected\` list of a 200 response to \`POST /v1/events\`, and the rest of the batch is accepted.
\`retryable\` says whether sending the same request again can succeed. The CLI prints
\`error CODE: message\` and exits 1.

The schema registry's Confluent-compatible routes send \`{"error_code", "message", "code"}\`: the
\`SL_SCHEMA_\` code here beside Confluent's numeric \`error_code\` (table in [contracts.md](contracts.md)).

An accepted event can also carry a warning, in the \`warnings\` list of the response: the only one
today is \`SL_CONTRACT_DEPRECATED\` (the event names a deprecated schema version; it will be refused
after the version's sunset).

This file is generated: \`npm run docs:errors\`.

| code | HTTP status | retryable | meaning |
|---|---|---|---|
${rows.join('\n')}
`,
);
