import type { Command } from 'commander';
import { resolve } from 'node:path';
import { generateBankWarehouse, startOfUtcDay, type BankTable } from '../../../examples/bank/data.js';
import { LinkedError } from '../../model/errors.js';
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

/** `linked example bank`: writes the bank example's warehouse (examples/bank/data.ts). */
export function register(program: Command): void {
  const example = program.command('example').description('generate data for the example apps');
  example
    .command('bank')
    .description('write a seeded, realistically distributed DuckDB warehouse for the bank example')
    .requiredOption('--profiles <n>', 'number of profiles (about 20 transactions each)')
    .requiredOption('--out <file>', 'DuckDB file to write (created if missing; the bank tables are replaced)')
    .option('--seed <n>', 'random seed: the same seed and reference time give the same data', '42')
    .option('--now <iso>', 'reference time (default: today 00:00 UTC)')
    .option('--json', 'machine-readable output')
    .action(async (flags: ExampleFlags) => {
      const profiles = wholeNumber('--profiles', flags.profiles);
      const seed = wholeNumber('--seed', flags.seed ?? '42');
      const now = flags.now ? new Date(flags.now) : startOfUtcDay();
      if (Number.isNaN(now.getTime())) throw new LinkedError('INVALID_ARGUMENT', `--now must be an ISO-8601 date or timestamp, got "${flags.now}"`);
      const out = resolve(flags.out);
      const tty = !flags.json && process.stderr.isTTY;
      const started = Date.now();
      const progress = (table: BankTable, index: number, total: number) => {
        if (!tty) return;
        const secs = ((Date.now() - started) / 1000).toFixed(1);
        process.stderr.write(`\r\x1b[2KGenerating bank data: ${index < total ? `${table} (${index + 1}/${total})` : 'done'} ${secs}s`);
      };
      const { counts } = await generateBankWarehouse(out, { profiles, seed, now, onProgress: progress });
      if (tty) process.stderr.write('\r\x1b[2K');
      const seconds = (Date.now() - started) / 1000;
      if (flags.json) {
        printJson({ out, seed, now: now.toISOString(), counts, seconds });
        return;
      }
      const width = Math.max(...Object.keys(counts).map((k) => k.length));
      process.stdout.write(`Wrote the bank example to ${out} (seed ${seed}, reference time ${now.toISOString()}, ${seconds.toFixed(1)}s):\n`);
      for (const [table, n] of Object.entries(counts)) process.stdout.write(`  main.${table.padEnd(width)}  ${n.toLocaleString('en-US').padStart(12)}\n`);
    });
}
