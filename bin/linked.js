#!/usr/bin/env node
// The CLI is TypeScript run through tsx, the same loader that runs users' apps,
// so there is no build step between a clean clone and a working `linked`.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli/main.ts');
