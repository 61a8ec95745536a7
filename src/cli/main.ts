import { Command } from 'commander';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageInfo } from './package-root.js';
import { runCli } from './run.js';

/**
 * Each command lives in src/cli/commands/<name>.ts and exports `register(program)`.
 * They are discovered here so that adding a command touches one file.
 */
const program = new Command('linked')
  .description('Warehouse-native audiences, declared as code.')
  .version(packageInfo().version, '-V, --version', 'print the version of linked-audiences')
  .option('--debug', 'print stack traces with errors')
  .showHelpAfterError();

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');
const commandFiles = readdirSync(commandsDir)
  .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
  .sort();

// Load only the command being run when its file is known: every command pulls in its own layer
// (DuckDB, octokit, actions-core...), and a CLI should start fast. Help loads them all.
// `--version` alone needs no command at all.
const args = process.argv.slice(2);
const requested = args.find((a) => !a.startsWith('-'));
const match = commandFiles.find((f) => f.replace(/\.(ts|js)$/, '') === requested);
const versionOnly = !requested && args.some((a) => a === '--version' || a === '-V');
for (const file of versionOnly ? [] : match ? [match] : commandFiles) {
  const mod = (await import(join(commandsDir, file))) as { register?: (p: Command) => void };
  mod.register?.(program);
}

await runCli(program, process.argv);
