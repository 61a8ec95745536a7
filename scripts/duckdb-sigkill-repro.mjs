#!/usr/bin/env node
/*
 * Stress DuckDB's crash safety: a child process loops open / update / create-drop / insert / close
 * on one database file; the parent SIGKILLs it at random moments (during open + WAL replay, in a
 * transaction, in an explicit CHECKPOINT, in the checkpoint on close), then reopens the file and
 * reads every column of every table.  Plain @duckdb/node-api, no project code.
 *
 *   node scripts/duckdb-sigkill-repro.mjs [kills=200] [dir=/dev/shm/duckdb-sigkill]
 *   SLOW_PWRITE=1000 node scripts/duckdb-sigkill-repro.mjs 100      fast: a corruption every ~30 kills
 *   node scripts/duckdb-sigkill-repro.mjs analyse <dir>/corrupt-*    re-print the analysis of a kept file
 *
 * What it shows (DuckDB v1.5.6): a kill during a checkpoint can leave the file unopenable with
 * "Corrupt database file: computed checksum A does not match stored checksum B in block at location L".
 * The database headers are untouched (the killed checkpoint never wrote its header); the bad block is a
 * metadata block still referenced by the durable checkpoint, which the killed checkpoint was rewriting in
 * place (new metadata goes into free 4 KiB sub-blocks of a 256 KiB metadata block whose other sub-blocks are
 * live, and the whole block is written with one checksum).  The page map printed for each corruption
 * shows a prefix of changed pages: the in-place pwrite() stopped part-way.  No .wal file is needed to
 * open-fail: the main file alone is corrupt.
 * env:
 *   CONFIG='{"checkpoint_threshold":"1MB"}'  DuckDBInstance.create options for the child
 *   EXPLICIT_CHECKPOINT=1                    CHECKPOINT before every close
 *   NO_SHUTDOWN_CHECKPOINT=1                 PRAGMA disable_checkpoint_on_shutdown in the child
 *   SETUP_SQL='SET wal_autocheckpoint=...'   run after every open in the child
 *   MAX_MS=1500                              kill delay, uniform over [0, MAX_MS], counted from the child's
 *                                            first marker (so node start-up is not counted)
 *   TARGET='P close' TARGET_MS=80            instead: kill TARGET_MS*U(0,1) after the 1st..3rd time the child
 *                                            prints that marker (concentrates kills in one phase)
 *   ROWS=100000                              rows in the big table
 *   SLOW_PWRITE=1000                         build (cc) and LD_PRELOAD into the child a shim that issues every
 *                                            pwrite() >= 64 KiB 4 KiB at a time, sleeping this many µs in between:
 *                                            a slow disk.  It changes no semantics (Linux may stop a large write
 *                                            at a page boundary when a SIGKILL arrives), it only widens the window.
 *   STOP_ON_CORRUPT=1                        stop at the first corruption (default: restart fresh)
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';

const SELF = fileURLToPath(import.meta.url);
const env = process.env;
const CONFIG = env.CONFIG ? JSON.parse(env.CONFIG) : undefined;
const ROWS = Number(env.ROWS ?? 100_000);
const say = (line) => process.stdout.write(line + '\n');

async function run(conn, sql) {
  await conn.run(sql);
}

if (process.argv[2] === 'child') {
  const db = process.argv[3];
  let seed = Number(process.argv[4]);
  for (let n = 0; ; n++) {
    say(`P open ${n}`);
    const instance = await DuckDBInstance.create(db, CONFIG);
    const conn = await instance.connect();
    if (env.NO_SHUTDOWN_CHECKPOINT) await run(conn, 'PRAGMA disable_checkpoint_on_shutdown');
    if (env.SETUP_SQL) await run(conn, env.SETUP_SQL);
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const s = `'${seed}'`;
    say(`P update ${n}`);
    await run(conn, `UPDATE big SET score = hash(id::VARCHAR || ${s}) % 1000, note = 'n' || (hash(id::VARCHAR || ${s}) % 97) WHERE hash(id::VARCHAR || ${s}) % 33 = 0`);
    await run(conn, `UPDATE acct SET balance = (hash(aid || ${s}) % 400)::DOUBLE WHERE hash(aid || ${s}) % 50 = 0`);
    say(`P tx ${n}`);
    await run(conn, 'BEGIN');
    await run(conn, `CREATE TABLE stg_${n % 4}_${seed} AS SELECT id, score FROM big WHERE score > 500`);
    await run(conn, `CREATE TABLE diff_${seed} AS SELECT s.id FROM stg_${n % 4}_${seed} s ANTI JOIN members m ON m.id = s.id`);
    await run(conn, `INSERT INTO outbox SELECT id, ${n}, 'enter' FROM diff_${seed}`);
    await run(conn, `DELETE FROM members WHERE id NOT IN (SELECT id FROM stg_${n % 4}_${seed})`);
    await run(conn, `INSERT INTO members SELECT id FROM diff_${seed}`);
    await run(conn, `DROP TABLE diff_${seed}`);
    await run(conn, 'COMMIT');
    // keep at most 3 staging tables and a bounded outbox
    const old = await conn.runAndReadAll("SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'stg_%' ORDER BY table_name");
    const names = old.getRows().map((r) => r[0]);
    for (const t of names.filter((t) => t.startsWith(`stg_${(n + 1) % 4}_`))) await run(conn, `DROP TABLE ${t}`);
    await run(conn, `DELETE FROM outbox WHERE n < ${n - 5}`);
    if (env.EXPLICIT_CHECKPOINT) {
      say(`P ckpt ${n}`);
      await run(conn, 'CHECKPOINT');
    }
    say(`P close ${n}`);
    conn.closeSync();
    instance.closeSync();
    say(`P closed ${n}`);
  }
}

if (process.argv[2] === 'analyse') {
  // node scripts/duckdb-sigkill-repro.mjs analyse <kept corrupt-* dir>
  console.log(analyse(join(process.argv[3], 'db.duckdb'), join(process.argv[3], 'before', 'db.duckdb')));
  process.exit(0);
}

// ---------------------------------------------------------------- parent
const kills = Number(process.argv[2] ?? 200);
const dir = process.argv[3] ?? '/dev/shm/duckdb-sigkill';
const MAX_MS = Number(env.MAX_MS ?? 1500);
const TARGET = env.TARGET;
const TARGET_MS = Number(env.TARGET_MS ?? 80);
mkdirSync(dir, { recursive: true });

async function fresh(path) {
  for (const f of readdirSync(dir)) if (f.startsWith('db.duckdb')) rmSync(join(dir, f), { force: true });
  const i = await DuckDBInstance.create(path);
  const c = await i.connect();
  await run(c, `CREATE TABLE big AS SELECT i AS id, (hash(i) % 1000)::BIGINT AS score, 'n' || (i % 97) AS note, i * 2.5 AS amt FROM range(${ROWS}) t(i)`);
  await run(c, `CREATE TABLE acct AS SELECT 'a' || i AS aid, i % ${ROWS} AS id, (hash(i * 7) % 400)::DOUBLE AS balance FROM range(${ROWS * 0.6}) t(i)`);
  await run(c, 'CREATE TABLE members (id BIGINT)');
  await run(c, 'CREATE TABLE outbox (id BIGINT, n INTEGER, kind VARCHAR)');
  c.closeSync();
  i.closeSync();
}

const SHIM_C = `#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/types.h>
static ssize_t (*real)(int, const void *, size_t, off_t);
static long us = -1;
static ssize_t slow(int fd, const void *buf, size_t n, off_t off) {
  if (!real) real = dlsym(RTLD_NEXT, "pwrite64");
  if (us < 0) { const char *e = getenv("SLOW_PWRITE"); us = e ? atol(e) : 1000; }
  if (n < 65536 || us == 0) return real(fd, buf, n, off);
  size_t done = 0;
  while (done < n) {
    size_t k = n - done < 4096 ? n - done : 4096;
    ssize_t r = real(fd, (const char *)buf + done, k, off + done);
    if (r < 0) return done ? (ssize_t)done : r;
    done += r;
    if (done < n) usleep(us);
  }
  return done;
}
ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) { return slow(fd, buf, n, off); }
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) { return slow(fd, buf, n, off); }
`;

function buildShim() {
  const d = join(tmpdir(), 'duckdb-sigkill-shim');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'slowpwrite.c'), SHIM_C);
  execFileSync('cc', ['-O2', '-shared', '-fPIC', '-o', join(d, 'slowpwrite.so'), join(d, 'slowpwrite.c'), '-ldl']);
  return join(d, 'slowpwrite.so');
}
const SHIM = env.SLOW_PWRITE ? buildShim() : undefined;

function killOnce(path, seed, delay) {
  return new Promise((resolve, reject) => {
    const childEnv = SHIM ? { ...env, LD_PRELOAD: SHIM } : env;
    const child = spawn(process.execPath, [SELF, 'child', path, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'], env: childEnv });
    let out = '';
    let err = '';
    let last = 'spawn';
    let armed = false;
    let seen = 0;
    const nth = 1 + Math.floor(Math.random() * 3);
    const fire = () => {
      const phase = last; // the last marker the child printed before the kill
      child.on('exit', () => resolve({ phase, out }));
      child.kill('SIGKILL');
    };
    child.stdout.on('data', (d) => {
      out += d;
      const lines = String(d).trimEnd().split('\n');
      last = lines[lines.length - 1];
      if (armed) return;
      if (!TARGET) {
        armed = true;
        setTimeout(fire, delay);
      } else {
        for (const l of lines) if (l.startsWith(TARGET + ' ')) seen++;
        if (seen >= nth) {
          armed = true;
          setTimeout(fire, Math.floor(Math.random() * TARGET_MS));
        }
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`child exited ${code} ${signal}: ${err.slice(-2000)}\n${out.slice(-500)}`));
    });
  });
}

// DuckDB's block checksum: 5381 XOR (word * 0xbf58476d1ce4e5b9) over the 64-bit words after the stored checksum
function checksum(buf) {
  let r = 5381n;
  for (let i = 0; i + 8 <= buf.length; i += 8) r ^= BigInt.asUintN(64, buf.readBigUInt64LE(i) * 0xbf58476d1ce4e5b9n);
  return r;
}

/** The active database header, the blocks whose checksum fails, and which 4 KiB pages of them changed. */
function analyse(file, beforeFile) {
  const f = readFileSync(file);
  const before = beforeFile && existsSync(beforeFile) ? readFileSync(beforeFile) : undefined;
  const headers = [4096, 8192].map((o) => ({
    iteration: f.readBigUInt64LE(o + 8),
    metaBlock: f.readBigUInt64LE(o + 16) & 0xffffffffffffffn,
    metaIndex: f.readBigUInt64LE(o + 16) >> 56n,
    freeList: f.readBigUInt64LE(o + 24),
    blockCount: f.readBigUInt64LE(o + 32),
    blockSize: Number(f.readBigUInt64LE(o + 40)),
  }));
  const active = headers[0].iteration > headers[1].iteration ? headers[0] : headers[1];
  const size = active.blockSize;
  const lines = [`  active header: iteration ${active.iteration}, metadata block ${active.metaBlock} (sub-block ${active.metaIndex}), ${active.blockCount} blocks`];
  if (before) {
    const same = [4096, 8192].every((o) => f.subarray(o, o + 4096).equals(before.subarray(o, o + 4096)));
    lines.push(`  database headers ${same ? 'unchanged' : 'CHANGED'} since the child started`);
  }
  for (let b = 0; 12288 + (b + 1) * size <= f.length; b++) {
    const o = 12288 + b * size;
    if (f.readBigUInt64LE(o) === checksum(f.subarray(o + 8, o + size))) continue;
    let line = `  bad checksum: block ${b} at ${o}${BigInt(b) === active.metaBlock ? ' (= the active header\'s metadata block)' : ''}`;
    if (before && before.length >= o + size) {
      let map = '';
      for (let p = 0; p < size / 4096; p++) map += f.subarray(o + p * 4096, o + (p + 1) * 4096).equals(before.subarray(o + p * 4096, o + (p + 1) * 4096)) ? '.' : 'X';
      line += `\n    4 KiB pages changed since the child started (X): ${map}`;
    }
    lines.push(line);
  }
  return lines.join('\n');
}

async function verify(path) {
  const i = await DuckDBInstance.create(path, CONFIG);
  try {
    const c = await i.connect();
    // the reopen behaves like every other open of the file: with NO_SHUTDOWN_CHECKPOINT the WAL
    // keeps growing across kills until wal_autocheckpoint fires in a child
    if (env.NO_SHUTDOWN_CHECKPOINT) await run(c, 'PRAGMA disable_checkpoint_on_shutdown');
    if (env.SETUP_SQL) await run(c, env.SETUP_SQL);
    const tables = (await c.runAndReadAll('SELECT table_name FROM duckdb_tables()')).getRows().map((r) => r[0]);
    for (const t of tables) await c.runAndReadAll(`SELECT count(*), min(COLUMNS(*)), max(COLUMNS(*)) FROM "${t}"`);
    await c.runAndReadAll('PRAGMA database_size');
    for (const t of ['big', 'acct']) await c.runAndReadAll(`PRAGMA storage_info('${t}')`);
    c.closeSync();
  } finally {
    i.closeSync();
  }
}

const path = join(dir, 'db.duckdb');
await fresh(path);
const byPhase = {};
const corrupt = [];
const started = Date.now();
for (let k = 0; k < kills; k++) {
  const delay = Math.floor(Math.random() * MAX_MS);
  let r;
  try {
    r = await killOnce(path, k + 1, delay);
  } catch (e) {
    // the child itself failed: e.g. its open found the file corrupt (only possible if verify missed it)
    console.log(`CHILD-FAILED kill ${k}: ${e.message}`);
    corrupt.push({ k, phase: 'child-error', msg: e.message });
    await fresh(path);
    continue;
  }
  // "P close 0" = the first close after the child's first open; "P close n" = a later one
  const phase = r.phase.split(' ').slice(0, 2).join(' ') + (r.phase.endsWith(' 0') ? ' 0' : ' n');
  byPhase[phase] = (byPhase[phase] ?? 0) + 1;
  const leftovers = readdirSync(dir).filter((f) => f.startsWith('db.duckdb.')).map((f) => `${f}:${statSync(join(dir, f)).size}`);
  const snap = join(dir, 'snap');
  rmSync(snap, { recursive: true, force: true });
  mkdirSync(snap);
  for (const f of readdirSync(dir)) if (f.startsWith('db.duckdb')) cpSync(join(dir, f), join(snap, f));
  try {
    await verify(path);
    // the state the next child starts from, kept to compare blocks with when that child corrupts the file
    rmSync(join(dir, 'prev'), { recursive: true, force: true });
    for (const f of readdirSync(dir)) if (f.startsWith('db.duckdb')) cpSync(join(dir, f), join(dir, 'prev', f));
  } catch (e) {
    const keep = join(dir, `corrupt-${Date.now()}`);
    cpSync(snap, keep, { recursive: true });
    if (existsSync(join(dir, 'prev'))) cpSync(join(dir, 'prev'), join(keep, 'before'), { recursive: true });
    console.log(`CORRUPT kill ${k} delay ${delay}ms phase "${r.phase}" leftovers [${leftovers}] kept ${keep}: ${e.message}`);
    console.log('  last markers: ' + r.out.trimEnd().split('\n').slice(-4).join(' | '));
    console.log(analyse(join(keep, 'db.duckdb'), join(keep, 'before', 'db.duckdb')));
    corrupt.push({ k, phase: r.phase, leftovers, msg: e.message });
    if (env.STOP_ON_CORRUPT) break;
    rmSync(join(dir, 'prev'), { recursive: true, force: true });
    await fresh(path);
  }
  if ((k + 1) % 25 === 0) console.log(`${k + 1} kills, ${corrupt.length} corrupt, ${((Date.now() - started) / 1000).toFixed(0)}s, phases ${JSON.stringify(byPhase)}`);
}
console.log(`DONE kills=${kills} target=${TARGET ?? 'uniform'}/${TARGET ? TARGET_MS : MAX_MS}ms corrupt=${corrupt.length} phases=${JSON.stringify(byPhase)} config=${env.CONFIG ?? ''} explicit=${env.EXPLICIT_CHECKPOINT ?? ''} noShutdown=${env.NO_SHUTDOWN_CHECKPOINT ?? ''} setup=${env.SETUP_SQL ?? ''}`);
