import { Command } from 'commander';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCli } from './run.js';

/**
 * Each command lives in src/cli/commands/<name>.ts and exports `register(program)`.
 * They are discovered here so that adding a command touches one file.
 */
const program = new Command('linked')
  .description('Warehouse-native audiences, declared as code.')
  .option('--debug', 'print stack traces with errors')
  .showHelpAfterError();

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');
for (const file of readdirSync(commandsDir).sort()) {
  if (!/\.(ts|js)$/.test(file) || file.endsWith('.d.ts') || file.endsWith('.test.ts')) continue;
  const mod = (await import(join(commandsDir, file))) as { register?: (p: Command) => void };
  mod.register?.(program);
}

await runCli(program, process.argv);
