import { readDeliveryHealth, type EmitterHealthView } from '../activation/health.js';
import { findDeliveries, listDeadLetters, readDeliveryRuns, type DeadLetterRow, type DeliveryRecord, type DeliveryRunRow } from '../activation/inspect.js';
import { activationModelOf, emittersOf, destinationsOf, findEmitter, type ActivationModel } from '../activation/emitter-context.js';
import { compileAudience } from '../compute/compile.js';
import { statusView, type AudienceStatusView } from '../compute/format.js';
import { readRun, readRuns, readStatuses, type RunRow } from '../compute/status.js';
import { STATUSES } from '../compute/types.js';
import { commitSubjectOf } from '../github/git.js';
import { auditWithGit, changeDiffLines, type AuditRecord } from '../github/audit.js';
import type { Audience } from '../model/audience.js';
import { visitCondition } from '../model/condition-walk.js';
import type { DataGraph } from '../model/graph.js';
import type { Dialect } from '../dialect/dialect.js';
import { isLinkedError, LinkedError } from '../model/errors.js';
import { didYouMean } from '../model/suggest.js';
import { ApplyLogStore, type ApplyLogEntry } from '../state/apply/apply-log.js';
import { otherStacksKeysOf, readAppliedRows, unreadableError, type AppliedRows } from '../state/apply/resources.js';
import { traceEvent, type Trace } from '../trace/trace.js';
import type { Warehouse } from '../warehouse/types.js';
import { whyProfile, type WhyResult } from '../why/why.js';
import type { UiSource } from './source.js';

/*
 * The view models of the pages, read from the state through the stores. Each is plain data: the
 * JSON API answers with it as it is, and the pages render it. Field names follow the CLI's --json.
 */

export interface AudienceListRow extends AudienceStatusView {
  name: string;
  description: string;
  emitters: string[];
}

export interface AudienceFilter {
  /** Part of the key, name or description, any case. */
  q?: string;
  status?: string;
}

export interface AudiencesData {
  audiences: AudienceListRow[];
  /** Audiences before the filter: the counts by status say what the filter hides. */
  total: number;
  byStatus: Record<string, number>;
  /** Applied resources whose stored spec cannot be read (left out of the list), each with the fix, as `linked status` names them. */
  unreadable: string[];
}

/*
 * The applied resources are read once per request: a page wants its stack's model, the keys of the
 * other stacks (whose runs and deliveries it leaves out) and, for why, the model again. Each request
 * reads through a warehouse of its own (UiSource.read), so what it read is kept by that warehouse
 * and goes with it: the next request reads the state as it is then.
 */
const rowsOfRequest = new WeakMap<Warehouse, Promise<AppliedRows>>();
const modelOfRequest = new WeakMap<Warehouse, Promise<ActivationModel>>();

function onceFor<T>(memo: WeakMap<Warehouse, Promise<T>>, wh: Warehouse, read: () => Promise<T>): Promise<T> {
  let p = memo.get(wh);
  if (!p) memo.set(wh, (p = read()));
  return p;
}

/** Every row of `resources`, deleted ones and other stacks' included: both readers below derive from it. */
const appliedRows = (wh: Warehouse, src: UiSource) => onceFor(rowsOfRequest, wh, () => readAppliedRows(wh, src.schema, { includeDeleted: true }));

const model = (wh: Warehouse, src: UiSource) =>
  onceFor(modelOfRequest, wh, async () => {
    const rows = await appliedRows(wh, src);
    const active = (r: { deletedAt: string | null; stack: string | null }) => r.deletedAt === null && (src.stack === undefined || r.stack === src.stack);
    return activationModelOf(wh, src.schema, { resources: rows.resources.filter(active), unreadable: rows.unreadable.filter(active) }, src.stack);
  });

/** Audiences and emitters of the state schema's other stacks: their runs and deliveries are not this stack's pages. */
const otherStacks = async (wh: Warehouse, src: UiSource) => (src.stack ? otherStacksKeysOf((await appliedRows(wh, src)).resources, src.stack) : { audiences: [], emitters: [] });

function listRows(m: ActivationModel, statuses: Awaited<ReturnType<typeof readStatuses>>): AudienceListRow[] {
  const rows = new Map(statuses.map((r) => [r.audienceKey, r]));
  const emitters = emittersOf(m);
  return (m.applied?.resources.audiences ?? []).map((a) => ({
    ...statusView(a, rows.get(a.key)),
    name: a.name,
    description: a.description,
    emitters: emitters.filter((e) => e.audience === a.key).map((e) => e.key),
  }));
}

export async function audiencesData(wh: Warehouse, src: UiSource, filter: AudienceFilter = {}): Promise<AudiencesData> {
  const m = await model(wh, src);
  const all = listRows(m, await readStatuses(wh, src.schema));
  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, all.filter((a) => a.status === s).length]));
  const q = filter.q?.trim().toLowerCase();
  const audiences = all.filter(
    (a) => (!filter.status || a.status === filter.status) && (!q || [a.audience, a.name, a.description].some((t) => t.toLowerCase().includes(q))),
  );
  return { audiences, total: all.length, byStatus, unreadable: (m.unreadable ?? []).map((r) => unreadableError(r).message) };
}

export interface EmitterView extends EmitterHealthView {
  trigger: string;
  destinationName: string;
  destinationType: string;
}

export interface AudienceData {
  audience: Audience;
  status: AudienceStatusView;
  /** Newest first, as `linked runs <audience> --json`. */
  runs: RunRow[];
  /** The membership query as each dialect prints it; `error` when it does not compile. */
  sql: { dialect: Dialect; text?: string; params?: unknown[]; error?: string }[];
  emitters: EmitterView[];
  /** Applies that changed this audience, newest first, with only its changes. */
  history: ApplyLogEntry[];
  /** Audiences whose condition reads this one ("part of"). */
  usedBy: string[];
}

const DIALECTS: Dialect[] = ['duckdb', 'snowflake'];

export async function audienceData(wh: Warehouse, src: UiSource, key: string, runLimit = 100): Promise<AudienceData | undefined> {
  const m = await model(wh, src);
  const audience = m.applied?.audience(key);
  if (!m.applied || !audience) return undefined;
  const [statusRow] = (await readStatuses(wh, src.schema)).filter((r) => r.audienceKey === key);
  const health = await readDeliveryHealth(wh, src.schema, { stack: src.stack, model: m });
  const resources = m.applied.resources;
  const emitters = emittersOf(m)
    .filter((e) => e.audience === key)
    .map((e): EmitterView | undefined => {
      const h = health.find((x) => x.emitterKey === e.key);
      const d = m.applied!.destination(e.destination);
      return h && { ...h, trigger: e.trigger, destinationName: d?.name || e.destination, destinationType: d?.type ?? '' };
    })
    .filter((e): e is EmitterView => e !== undefined);
  const now = new Date();
  const sql = DIALECTS.map((dialect) => {
    try {
      const c = compileAudience(resources, key, { dialect, stateSchema: src.schema, now });
      return { dialect, text: c.membership.sql, params: c.membership.params };
    } catch (e) {
      return { dialect, error: (e as Error).message };
    }
  });
  const usedBy = resources.audiences
    .filter((a) => {
      let uses = false;
      visitCondition(a.condition, { audience: (c) => void (uses ||= c.source === 'linked' && c.audience === key) });
      return uses;
    })
    .map((a) => a.key);
  return {
    audience,
    status: statusView(audience, statusRow),
    runs: await readRuns(wh, src.schema, { audienceKey: key, limit: runLimit }),
    sql,
    emitters,
    history: await new ApplyLogStore(wh, src.schema).read({ stack: src.stack, resource: `audience.${key}` }),
    usedBy,
  };
}

/** How many rows a list page shows: the newest, and the page says when there are more. */
export const LIST_LIMIT = 100;

/**
 * The newest `limit` rows and whether older ones exist: one row more is read than shown, so a
 * page cut at its limit says so instead of passing for the whole history.
 */
async function newest<T>(limit: number, read: (limit: number) => Promise<T[]>): Promise<{ rows: T[]; more: boolean }> {
  const rows = await read(limit + 1);
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

export async function runsData(wh: Warehouse, src: UiSource, filter: { audience?: string; limit?: number } = {}): Promise<{ runs: RunRow[]; more: boolean }> {
  const notAudiences = (await otherStacks(wh, src)).audiences;
  const { rows, more } = await newest(filter.limit ?? LIST_LIMIT, (limit) => readRuns(wh, src.schema, { audienceKey: filter.audience || undefined, notAudiences, limit }));
  if (filter.audience && rows.length === 0) {
    // A mistyped key would read as "never ran": say it names no audience. A deleted audience keeps its runs, so only an empty answer is checked.
    const applied = (await model(wh, src)).applied?.resources.audiences.map((a) => a.key) ?? [];
    if (!applied.includes(filter.audience)) {
      throw new LinkedError('AUDIENCE_NOT_APPLIED', `Audience ${filter.audience} is not applied and has no recorded run.${didYouMean(filter.audience, applied)} \`linked status\` lists the applied audiences.`);
    }
  }
  return { runs: rows, more };
}

export interface RunData {
  run: RunRow;
  /** The delivery passes that delivered (sent or dead-lettered) events of this run, oldest first. */
  deliveries: DeliveryRunRow[];
  emitters: string[];
}

export async function runData(wh: Warehouse, src: UiSource, id: string): Promise<RunData | undefined> {
  const run = await readRun(wh, src.schema, id);
  if (!run) return undefined;
  const m = await model(wh, src);
  const emitters = emittersOf(m).filter((e) => e.audience === run.audienceKey).map((e) => e.key);
  const deliveries = await readDeliveryRuns(wh, src.schema, { computeRun: run.id, limit: 50 });
  deliveries.sort((a, b) => (a.startedAt ?? '').localeCompare(b.startedAt ?? ''));
  return { run, deliveries, emitters };
}

export interface DeliveryFilterParams {
  emitter?: string;
  user?: string;
  event?: string;
}

export interface DeliveriesData {
  health: EmitterView[];
  /** The delivery log, newest first. */
  runs: DeliveryRunRow[];
  deadLetters: DeadLetterRow[];
  /** What was sent: the search by user id / event name (as `linked deliveries`), newest first. */
  records: DeliveryRecord[];
  /** Which of the lists above stop at their limit with older rows left out. */
  more: { runs: boolean; deadLetters: boolean; records: boolean };
}

export async function deliveriesData(wh: Warehouse, src: UiSource, f: DeliveryFilterParams = {}, limit = LIST_LIMIT): Promise<DeliveriesData> {
  const m = await model(wh, src);
  const destinations = new Map(destinationsOf(m).map((d) => [d.key, d]));
  const triggers = new Map(emittersOf(m).map((e) => [e.key, e.trigger]));
  const health = (await readDeliveryHealth(wh, src.schema, { stack: src.stack, model: m }))
    .filter((h) => !f.emitter || h.emitterKey === f.emitter)
    .map((h) => ({ ...h, trigger: triggers.get(h.emitterKey) ?? '', destinationName: destinations.get(h.destinationKey)?.name || h.destinationKey, destinationType: destinations.get(h.destinationKey)?.type ?? '' }));
  const emitter = f.emitter || undefined;
  const notEmitters = (await otherStacks(wh, src)).emitters;
  const runs = await newest(Math.ceil(limit / 2), (n) => readDeliveryRuns(wh, src.schema, { emitter, notEmitters, limit: n }));
  // A mistyped emitter would read as "nothing delivered": say it names none, with the applied ones (a deleted emitter keeps its log).
  if (emitter && health.length === 0 && runs.rows.length === 0) findEmitter(m, emitter);
  const deadLetters = await newest(limit, (n) => listDeadLetters(wh, src.schema, { emitter, notEmitters, limit: n }));
  const records = await newest(limit, (n) => findDeliveries(wh, src.schema, { emitter, notEmitters, userId: f.user || undefined, event: f.event || undefined, limit: n }));
  return {
    health,
    runs: runs.rows,
    deadLetters: deadLetters.rows,
    records: records.rows,
    more: { runs: runs.more, deadLetters: deadLetters.more, records: records.more },
  };
}

export interface AuditEntry extends AuditRecord {
  /** Each change's Terraform-like lines (secrets as (sensitive)). */
  diff: { address: string; lines: string[] }[];
}

/** The apply log, joined with git when the project directory is a clone that has the commits. */
export async function auditData(wh: Warehouse, src: UiSource, filter: { resource?: string; limit?: number } = {}): Promise<{ entries: AuditEntry[]; joinedWithGit: boolean; more: boolean }> {
  const { rows: log, more } = await newest(filter.limit ?? LIST_LIMIT, (limit) => new ApplyLogStore(wh, src.schema).read({ stack: src.stack, resource: filter.resource || undefined, limit }));
  let records: AuditRecord[] | undefined;
  if (src.projectDir) {
    try {
      records = await auditWithGit(log, src.projectDir);
    } catch (e) {
      if (!isLinkedError(e) || e.code !== 'AUDIT_NOT_A_REPOSITORY') throw e;
    }
  }
  const joinedWithGit = records !== undefined;
  records ??= log.map((e) => ({
    applyId: e.id,
    appliedAt: e.appliedAt,
    appliedBy: e.appliedBy,
    stack: e.stack,
    commit: e.commitSha,
    author: e.author,
    committedAt: null,
    subject: null,
    pr: e.prNumber,
    approvers: Array.isArray(e.metadata.approvers) ? e.metadata.approvers.map(String) : [],
    changes: e.changes,
    dirty: e.dirty === true,
    note: null,
  }));
  return { entries: records.map((r) => ({ ...r, diff: r.changes.map((c) => ({ address: c.address, lines: changeDiffLines(c) })) })), joinedWithGit, more };
}

export interface GraphUsage {
  /** Relationship slug -> audiences whose condition traverses it. */
  relationships: Record<string, string[]>;
  /** Profile trait -> audiences. */
  traits: Record<string, string[]>;
  /** `relationship.column` -> audiences that filter on it. */
  columns: Record<string, string[]>;
  /** Event name -> audiences. */
  events: Record<string, string[]>;
}

export interface GraphData {
  graph: DataGraph | null;
  usage: GraphUsage;
}

export function graphUsage(audiences: readonly Audience[]): GraphUsage {
  const usage: GraphUsage = { relationships: {}, traits: {}, columns: {}, events: {} };
  const add = (into: Record<string, string[]>, name: string, audience: string) => {
    const list = (into[name] ??= []);
    if (!list.includes(audience)) list.push(audience);
  };
  for (const a of audiences) {
    visitCondition(a.condition, {
      trait: (c) => add(usage.traits, c.trait, a.key),
      event: (c) => add(usage.events, c.name, a.key),
      entity: (c) => void add(usage.relationships, c.relationship, a.key),
      column: (c, site) => add(usage.columns, `${site.entities.at(-1)?.relationship}.${c.column}`, a.key),
    });
  }
  return usage;
}

export async function graphData(wh: Warehouse, src: UiSource): Promise<GraphData> {
  const m = await model(wh, src);
  return { graph: m.applied?.graph ?? null, usage: graphUsage(m.applied?.resources.audiences ?? []) };
}

/** A delivered event back to its run, audience version, apply and commit (as `linked trace`). */
export async function traceData(wh: Warehouse, src: UiSource, id: string): Promise<Trace> {
  const dir = src.projectDir;
  return traceEvent(wh, src.schema, { id, commitSubject: dir === undefined ? undefined : (sha) => commitSubjectOf(dir, sha) });
}

export interface WhyForm {
  audience?: string;
  user?: string;
}

export interface WhyData {
  form: WhyForm;
  /** The applied audiences, for the form's choice. */
  audiences: string[];
  /** The explanation (as `linked why --json`), once the form names both. */
  why: WhyResult | null;
}

/** Why one profile is or is not in an audience (as `linked why`), evaluated in the warehouse now. */
export async function whyData(wh: Warehouse, src: UiSource, form: WhyForm): Promise<WhyData> {
  const m = await model(wh, src);
  const audiences = (m.applied?.resources.audiences ?? []).map((a) => a.key);
  // The model read for the form explains too; without a graph, why reads and says what is missing itself.
  const applied = m.applied && { ...m.applied.resources, unreadable: m.unreadable };
  const why = form.audience && form.user ? await whyProfile(wh, src.schema, { audienceKey: form.audience, profileId: form.user, stack: src.stack, applied }) : null;
  return { form, audiences, why };
}
