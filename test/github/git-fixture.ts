import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** A real git "origin" (bare) and an author's clone that pushes to it, in a fresh temporary directory. */
export class GitFixture {
  readonly root = mkdtempSync(join(tmpdir(), 'linked-gitops-'));
  readonly origin = join(this.root, 'origin.git');
  readonly author = join(this.root, 'author');

  constructor() {
    execFileSync('git', ['init', '--quiet', '--bare', '-b', 'main', this.origin]);
    execFileSync('git', ['init', '--quiet', '-b', 'main', this.author]);
    this.git(['remote', 'add', 'origin', this.origin]);
  }

  git(args: string[], cwd = this.author): string {
    return execFileSync('git', ['-c', 'user.name=Ana Lyst', '-c', 'user.email=ana@example.com', '-c', 'commit.gpgsign=false', ...args], {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  }

  /** Writes files, commits them with `subject` and pushes main; returns the commit sha. */
  commit(files: Record<string, string | null>, subject: string): string {
    for (const [path, content] of Object.entries(files)) {
      const full = join(this.author, path);
      if (content === null) rmSync(full, { force: true });
      else {
        mkdirSync(dirname(full), { recursive: true });
        writeFileSync(full, content);
      }
    }
    this.git(['add', '-A']);
    this.git(['commit', '--quiet', '--allow-empty', '-m', subject]);
    this.git(['push', '--quiet', 'origin', 'HEAD:main']);
    return this.git(['rev-parse', 'HEAD']);
  }

  dir(name: string): string {
    return join(this.root, name);
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
