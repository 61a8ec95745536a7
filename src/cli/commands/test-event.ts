import type { Command } from 'commander';
import { readActivationModel, modelFromDesired } from '../../activation/emitter-context.js';
import { testEvent } from '../../activation/preview.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProject } from '../context.js';
import { ensureFreshSynth, withSynthOptions, type SynthFlags } from '../synth-freshness.js';
import { EXIT, printJson } from '../run.js';
import { printable } from '../../model/printable.js';

export function register(program: Command): void {
  withSynthOptions(withProjectOptions(
    program
      .command('test-event <emitter>')
      .description('build the enriched event of an emitter for one user, show the mapped request, send it and print the answer'),
  ))
    .option('--user-id <id>', 'the profile to build the event for (default: the first one found)')
    .option('--no-send', 'build and show, do not send')
    .action(async (emitterKey: string, flags: ProjectFlags & SynthFlags & { userId?: string; send: boolean }) => {
      await ensureFreshSynth(flags, { refuseStale: false });
      const project = await openProject(projectOptions(flags));
      try {
        const applied = await readActivationModel(project.warehouse, project.stateSchema, project.desired.stack);
        const model = modelFromDesired(project.desired, applied);
        const r = await testEvent(project.warehouse, project.stateSchema, model, emitterKey, { userId: flags.userId, send: flags.send });
        if (flags.json) printJson(r);
        else {
          // The event holds warehouse values: what would steer a terminal JSON leaves as it is (DEL, C1, bidi) is escaped.
          const out = { write: (text: string) => process.stdout.write(printable(text)) };
          const from =
            r.source === 'example'
              ? 'user not found: example values'
              : r.fromLastRun === false
                ? `from the warehouse: ${r.event.userId} is not a member at the audience's last run, or it has not run; the event uses one of their own rows`
                : 'from the warehouse';
          out.write(`Event (${from}):\n${JSON.stringify(r.event, null, 2)}\n\n`);
          out.write(`Mapped payload (${r.destinationKey}, action ${r.action}):\n${JSON.stringify(r.mapped, null, 2)}\n`);
          if (r.sent) {
            out.write(`\nHeaders sent: ${r.headerNames.map((h) => `${h}: (sensitive)`).join(', ') || 'none'}\n`);
            out.write(`Destination answered: ${r.response?.status ?? 'no answer'} (${r.response?.outcome})\n${r.response?.body ?? ''}\n`);
          }
        }
        if (r.sent && r.response?.outcome !== 'accepted') process.exitCode = EXIT.error;
      } finally {
        await project.close();
      }
    });
}
