import { Command } from 'commander';
import { runCli } from '../../src/cli/run.js';

/** A command that prints far more than a pipe holds, as `linked deliveries --runs` can. */
const program = new Command('linked').exitOverride();
program.command('flood').action(async () => {
  const line = 'x'.repeat(99) + '\n';
  for (let i = 0; i < 20_000; i++) {
    if (!process.stdout.write(line)) await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
});
await runCli(program, process.argv);
