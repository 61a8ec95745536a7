// Writes durations.json (seconds per test file, longest first) from a vitest JSON report:
//   npx vitest run --reporter=default --reporter=json --outputFile.json=/tmp/report.json
//   node test/sequence/update-durations.mjs /tmp/report.json
// Only the order matters to the sequencer, so figures from a busy machine serve as well.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const rows = report.testResults
  .map((r) => [relative(root, r.name).split('\\').join('/'), Math.round((r.endTime - r.startTime) / 100) / 10])
  .sort((a, b) => b[1] - a[1]);
writeFileSync(join(here, 'durations.json'), JSON.stringify(Object.fromEntries(rows), null, 2) + '\n');
process.stdout.write(`durations.json: ${rows.length} files\n`);
