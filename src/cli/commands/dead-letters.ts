import type { Command } from 'commander';
import { listDeadLetters, type DeadLetterRow } from '../../activation/inspect.js';
import { otherStacksKeys } from '../../state/apply/resources.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProject } from '../context.js';
import { printJson } from '../run.js';
import { positiveInt } from '../command-options.js';
import { printable } from '../../model/printable.js';

/**
 * One dead letter: its header with the status in brackets, then the reason and the response, each
 * on its own line when it says more than the status (a refusal with no message of its own reads
 * `HTTP 400`, which the header already says).
 */
export function renderDeadLetter(l: DeadLetterRow): string {
  const status = l.httpStatus !== null ? `HTTP ${l.httpStatus}` : l.reasonCode;
  const replay = l.replayedAt ? `, replayed ${l.replayedAt}` : l.replayCount > 0 ? `, ${l.replayCount} replay(s) refused` : '';
  const details = [l.reason !== status ? l.reason : '', l.responseBody ? `response: ${l.responseBody}` : ''].filter(Boolean);
  return `#${l.id} ${l.createdAt ?? ''} ${l.emitterKey} -> ${l.destinationKey} user ${l.userId} "${l.eventName}" [${status}${replay}]\n${details.map((d) => `    ${d}\n`).join('')}`;
}

export function register(program: Command): void {
  withProjectOptions(program.command('dead-letters').description('events a destination refused (or too large to send), with its response'))
    .option('--emitter <key>', 'only this event emitter')
    .option('--all', 'include dead letters already replayed')
    .option('--limit <n>', 'how many, newest first', '50')
    .action(async (flags: ProjectFlags & { emitter?: string; all?: boolean; limit: string }) => {
      const limit = positiveInt(flags.limit, '--limit');
      const project = await openProject(projectOptions(flags));
      try {
        const { emitters: notEmitters } = await otherStacksKeys(project.warehouse, project.stateSchema, project.desired.stack);
        const letters = await listDeadLetters(project.warehouse, project.stateSchema, { emitter: flags.emitter, notEmitters, includeReplayed: flags.all, limit });
        if (flags.json) return printJson({ deadLetters: letters });
        if (letters.length === 0) return void process.stdout.write('No dead letters.\n');
        for (const l of letters) process.stdout.write(printable(renderDeadLetter(l)));
        process.stdout.write(`Re-send with \`linked replay --id <id>\` or \`linked replay --emitter <key>\`.\n`);
      } finally {
        await project.close();
      }
    });
}
