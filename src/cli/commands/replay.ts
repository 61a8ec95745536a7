import type { Command } from 'commander';
import { replayDeadLetters } from '../../activation/replay.js';
import { LinkedError } from '../../model/errors.js';
import { otherStacksKeys } from '../../state/apply/resources.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProject } from '../context.js';
import { EXIT, printJson } from '../run.js';
import { positiveInt } from '../command-options.js';

export function register(program: Command): void {
  withProjectOptions(program.command('replay').description('re-send dead letters through their emitter\'s current destination and mapping'))
    .option('--id <ids...>', 'dead letter ids (see `linked dead-letters`)')
    .option('--emitter <key>', 'every unreplayed dead letter of this event emitter')
    .option('--all', 'every unreplayed dead letter')
    .option('--force', 'also re-send dead letters superseded by a newer delivered event of the same user and emitter')
    .action(async (flags: ProjectFlags & { id?: string[]; emitter?: string; all?: boolean; force?: boolean }) => {
      if (!flags.id && !flags.emitter && !flags.all) {
        throw new LinkedError('INVALID_OPTION', 'Name what to replay: --id <ids...>, --emitter <key> or --all.');
      }
      const ids = flags.id?.map((v) => positiveInt(v, '--id'));
      const project = await openProject(projectOptions(flags));
      try {
        // Another stack's dead letters are its own to replay (--all means this stack's).
        const { emitters: notEmitters } = await otherStacksKeys(project.warehouse, project.stateSchema, project.desired.stack);
        const result = await replayDeadLetters(project.warehouse, project.stateSchema, { ids, emitter: flags.emitter, notEmitters }, { stack: project.desired.stack, force: flags.force });
        if (flags.json) printJson(result);
        else {
          process.stdout.write(
            `Replayed ${result.replayed.length}, refused again ${result.rejected.length}, still pending ${result.pending.length}, skipped as superseded ${result.skipped.length}.\n`,
          );
          for (const r of result.skipped) process.stdout.write(`  #${r.id} skipped: ${r.reason} (re-send anyway with --force)\n`);
          for (const r of result.rejected) process.stdout.write(`  #${r.id} refused: ${r.reason}\n`);
          for (const r of result.pending) process.stdout.write(`  #${r.id} pending: ${r.reason}\n`);
        }
        if (result.rejected.length > 0 || result.pending.length > 0) process.exitCode = EXIT.error;
      } finally {
        await project.close();
      }
    });
}
