import type { Command } from 'commander';
import { formatCount } from '../../model/count.js';
import { join, resolve } from 'node:path';
import { AIRLINE_DATA } from '../../../examples/airline/data.js';
import { BANK_DATA } from '../../../examples/bank/data.js';
import { ECOMMERCE_DATA } from '../../../examples/ecommerce/data.js';
import { loadNorthwind } from '../../../examples/northwind/data.js';
import { generateExampleWarehouse, startOfUtcDay, type ExampleDataset } from '../../../examples/shared/generate.js';
import { LinkedError } from '../../model/errors.js';
import { parseNow } from '../command-options.js';
import { packageInfo } from '../package-root.js';
import { printJson } from '../run.js';

interface ExampleFlags {
  profiles: string;
  out: string;
  seed?: string;
  now?: string;
  json?: boolean;
}

function wholeNumber(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new LinkedError('INVALID_ARGUMENT', `${flag} must be a whole number, got "${text}"`);
  return Number(text);
}

/** `linked example <name>`: writes one example's warehouse (examples/<name>/data.ts). */
function registerGenerator(example: Command, dataset: ExampleDataset): void {
  example
    .command(dataset.name)
    .description(dataset.description)
    .requiredOption('--profiles <n>', dataset.profilesHelp)
    .requiredOption('--out <file>', `DuckDB file to write (created if missing; the ${dataset.name} tables are replaced)`)
    .option('--seed <n>', 'random seed: the same seed and reference time give the same data', '42')
    .option('--now <iso>', 'reference time (default: today 00:00 UTC)')
    .option('--json', 'machine-readable output')
    .action(async (flags: ExampleFlags) => {
      const profiles = wholeNumber('--profiles', flags.profiles);
      const seed = wholeNumber('--seed', flags.seed ?? '42');
      const now = flags.now ? parseNow(flags.now) : startOfUtcDay();
      const out = resolve(flags.out);
      const tty = !flags.json && process.stderr.isTTY;
      const started = Date.now();
      const progress = (table: string, index: number, total: number) => {
        if (!tty) return;
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        process.stderr.write(`\r\x1b[2KGenerating ${dataset.name} data: ${index < total ? `${table} (${index + 1}/${total})` : 'done'} ${secs}s`);
      };
      const { counts } = await generateExampleWarehouse(out, dataset, { profiles, seed, now, onProgress: progress });
      if (tty) process.stderr.write('\r\x1b[2K');
      const seconds = (Date.now() - started) / 1000;
      if (flags.json) {
        printJson({ out, seed, now: now.toISOString(), counts, seconds });
        return;
      }
      printCounts(`Wrote the ${dataset.name} example to ${out} (seed ${seed}, reference time ${now.toISOString()}, ${seconds.toFixed(1)}s):`, counts);
    });
}

/** `linked example northwind`: the public Northwind database, loaded as its CSVs ship. */
function registerNorthwind(example: Command): void {
  example
    .command('northwind')
    .description('the Northwind sample database (customers, orders, order lines, products, ...), loaded from its CSVs as they ship')
    .requiredOption('--out <file>', 'DuckDB file to write (created if missing; the Northwind tables are replaced)')
    .option('--json', 'machine-readable output')
    .action(async (flags: { out: string; json?: boolean }) => {
      const out = resolve(flags.out);
      const started = Date.now();
      // From the package root: this command runs from src/ and bundled in dist/ alike.
      const { counts } = await loadNorthwind(out, join(packageInfo().root, 'examples', 'northwind', 'data'));
      const seconds = (Date.now() - started) / 1000;
      if (flags.json) {
        printJson({ out, counts, seconds });
        return;
      }
      printCounts(`Wrote the Northwind example to ${out} (${seconds.toFixed(1)}s):`, counts);
    });
}

function printCounts(title: string, counts: Record<string, number>): void {
  const width = Math.max(...Object.keys(counts).map((k) => k.length));
  process.stdout.write(`${title}\n`);
  for (const [table, n] of Object.entries(counts)) process.stdout.write(`  main.${table.padEnd(width)}  ${formatCount(n).padStart(12)}\n`);
}

export function register(program: Command): void {
  const example = program.command('example').description('write the warehouse of an example app');
  for (const dataset of [BANK_DATA, AIRLINE_DATA, ECOMMERCE_DATA]) registerGenerator(example, dataset);
  registerNorthwind(example);
}
