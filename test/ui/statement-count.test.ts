import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUiHandler, startUiServer, type UiServer } from '../../src/ui/server.js';
import { projectSource, type UiSource } from '../../src/ui/source.js';
import { recordingWarehouse, type RecordedStatement } from '../support/recording-warehouse.js';
import { makeBankProject, type BankProject } from './bank-project.js';

/*
 * What one dashboard request costs the warehouse, counted by a recording warehouse under the real
 * server: every page reads the applied resources at most once, and each page's statements are
 * counted so that a read added twice shows here first.
 */
let project: BankProject;
let server: UiServer;
/** The statements of the last request (each request reads through a warehouse of its own). */
let statements: RecordedStatement[] = [];

beforeAll(async () => {
  project = await makeBankProject();
  const source = projectSource(project.desired, project.dir);
  const recorded: UiSource = {
    ...source,
    secrets: () => source.secrets(),
    read: (fn) =>
      source.read((wh) => {
        const r = recordingWarehouse(wh);
        statements = r.statements;
        return fn(r.wh);
      }),
  };
  server = await startUiServer({ host: '127.0.0.1', port: 0 }, createUiHandler(recorded));
}, 120_000);
afterAll(async () => {
  await server?.close();
  await project?.close();
});

const get = async (path: string) => {
  const res = await fetch(`http://127.0.0.1:${server.address.port}${path}`);
  return { status: res.status, body: await res.text(), statements };
};
// A read of the resources table itself; a check on one row of it inside another statement (a run's
// incarnation: `... "resources" AS "incarnation"`) reads no model.
const readsResources = (s: RecordedStatement) => /FROM "[^"]+"\."resources"(?! AS )/.test(s.sql);

describe('dashboard requests (real server, recording warehouse)', () => {
  it('read the applied resources once per request, each page within its count of statements', async () => {
    const run = (JSON.parse((await get('/api/runs')).body) as { runs: { id: string }[] }).runs[0]!.id;
    const sent = (JSON.parse((await get('/api/deliveries')).body) as { records: { messageId: string }[] }).records[0]!.messageId;
    // Path -> statements the page runs: the state version, the resources, then what the page shows.
    const budget: Record<string, number> = {
      '/audiences': 4,
      '/audiences/travel-spenders': 16,
      '/runs': 3,
      '/runs?audience=travel-spenders': 3,
      [`/runs/${run}`]: 6,
      '/deliveries': 16,
      '/audit': 2,
      '/graph': 3,
      [`/trace/${sent}`]: 6,
      '/why': 3,
      '/why?audience=travel-spenders&user=u_00000013': 6,
    };
    const counted: Record<string, number> = {};
    for (const path of Object.keys(budget)) {
      for (const twin of [path, `/api${path}`]) {
        const res = await get(twin);
        expect(res.status, `${twin}: ${res.body.slice(0, 300)}`).toBe(200);
        expect(res.statements.filter(readsResources).length, `${twin} reads the resources:\n${res.statements.map((s) => s.sql).join('\n')}`).toBeLessThanOrEqual(1);
        counted[twin] = res.statements.length;
      }
    }
    expect(counted).toEqual(Object.fromEntries(Object.entries(budget).flatMap(([path, n]) => [[path, n], [`/api${path}`, n]])));
  });
});
