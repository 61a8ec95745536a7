import type { Command } from 'commander';

/** Options every state command shares: where the project is and which stack. */
export interface ProjectFlags {
  dir?: string;
  outDir?: string;
  stack?: string;
  json?: boolean;
}

export function withProjectOptions(cmd: Command): Command {
  return cmd
    .option('--dir <dir>', 'project directory (holds cdktf.json and cdktf.out)', process.cwd())
    .option('--out-dir <dir>', 'synthesized output directory (default <dir>/cdktf.out)')
    .option('--stack <stack>', 'stack to act on (needed when cdktf.out holds several)')
    .option('--json', 'machine-readable output');
}

export const projectOptions = (f: ProjectFlags) => ({ dir: f.dir, outDir: f.outDir, stack: f.stack });
