// `npm test`: the type check and the tests side by side. The type check runs on about one core for
// 15 s; before the tests it kept the second core idle that long. Its errors are printed as soon
// as it ends (the tests go on), and the command fails when either fails.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const run = (command, args, stdio) => spawn(command, args, { stdio, shell: process.platform === 'win32' });
const exited = (child) => new Promise((ok) => child.on('close', (code, signal) => ok(code ?? (signal ? 1 : 0))));

const typecheck = run('npm', ['run', '--silent', 'typecheck'], ['ignore', 'pipe', 'pipe']);
const output = [];
typecheck.stdout.on('data', (chunk) => output.push(chunk));
typecheck.stderr.on('data', (chunk) => output.push(chunk));
const typed = exited(typecheck).then((code) => {
  if (code !== 0) process.stderr.write(`\nnpm test: the type check failed (npm run typecheck):\n${Buffer.concat(output).toString()}\n`);
  return code;
});
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const tested = exited(run(process.execPath, [vitest, 'run', ...process.argv.slice(2)], 'inherit'));
const [types, tests] = await Promise.all([typed, tested]);
if (types !== 0) process.stderr.write('npm test: failed: the type check found errors (printed above).\n');
process.exitCode = tests !== 0 ? tests : types;
