import type { Command } from 'commander';
import { readActivationModel, modelFromDesired } from '../../activation/emitter-context.js';
import { previewEvents } from '../../activation/preview.js';
import { projectOptions, withProjectOptions, type ProjectFlags } from '../command-options.js';
import { openProject } from '../context.js';
import { ensureFreshSynth, withSynthOptions, type SynthFlags } from '../synth-freshness.js';
import { printJson } from '../run.js';
import { printableJson } from '../../model/printable.js';
import { positiveInt } from '../command-options.js';

export function register(program: Command): void {
  const events = program.command('events').description('inspect the events of event emitters');
  withSynthOptions(withProjectOptions(events.command('preview <emitter>').description('what the next delivery would send, without sending')))
    .option('--limit <n>', 'how many events to show', '5')
    .action(async (emitterKey: string, flags: ProjectFlags & SynthFlags & { limit: string }) => {
      const limit = positiveInt(flags.limit, '--limit');
      await ensureFreshSynth(flags, { refuseStale: false });
      const project = await openProject(projectOptions(flags));
      try {
        const applied = await readActivationModel(project.warehouse, project.stateSchema, project.desired.stack);
        const p = await previewEvents(project.warehouse, project.stateSchema, modelFromDesired(project.desired, applied), emitterKey, limit);
        if (flags.json) return printJson(p);
        process.stdout.write(
          `${p.emitterKey} -> ${p.destinationKey} (action ${p.action}): ${p.pending} event(s) pending${p.started ? '' : ' (not started yet: its first delivery)'}\n`,
        );
        for (const e of p.events) {
          // The event holds warehouse values.
          process.stdout.write(`\n${printableJson(e.event, 2)}\nmapped (${e.bytes} bytes):\n${printableJson(e.mapped, 2)}\n`);
        }
      } finally {
        await project.close();
      }
    });
}
