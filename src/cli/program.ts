import { Command } from 'commander';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageInfo } from './package-root.js';

/**
 * The `linked` program for one command line: each command lives in src/cli/commands/<name>.ts and
 * exports `register(program)`; they are discovered here so that adding a command touches one file.
 *
 * Only the command being run is loaded when its file is known: every command pulls in its own
 * layer (DuckDB, octokit, actions-core...), and a CLI should start fast. Help loads them all;
 * `--version` alone needs no command at all.
 *
 * `exitOverride`: commander throws instead of exiting the process on a usage error, help or
 * `--version` (what a caller that runs the program inside its own process needs).
 */
export async function buildProgram(args: readonly string[], options: { exitOverride?: boolean } = {}): Promise<Command> {
  const program = new Command('linked')
    .description('Warehouse-native audiences, declared as code.')
    .version(packageInfo().version, '-V, --version', 'print the version of linked-audiences')
    .option('--debug', 'print stack traces with errors')
    .showHelpAfterError();
  // Set before the commands register: their subcommands inherit it when they are created.
  if (options.exitOverride) program.exitOverride();

  const commandsDir = join(dirname(fileURLToPath(import.meta.url)), 'commands');
  const commandFiles = readdirSync(commandsDir)
    .filter((f) => /\.(ts|js)$/.test(f) && !f.endsWith('.d.ts') && !f.endsWith('.test.ts'))
    .sort();
  const requested = args.find((a) => !a.startsWith('-'));
  const match = commandFiles.find((f) => f.replace(/\.(ts|js)$/, '') === requested);
  const versionOnly = !requested && args.some((a) => a === '--version' || a === '-V');
  for (const file of versionOnly ? [] : match ? [match] : commandFiles) {
    const mod = (await import(join(commandsDir, file))) as { register?: (p: Command) => void };
    mod.register?.(program);
  }
  return program;
}
