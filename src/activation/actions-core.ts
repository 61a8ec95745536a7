import { createRequire } from 'node:module';
import { eventJson, type SegmentEvent } from './build-event.js';
import { jsonArrayBuffer, jsonBuffer } from './json-encode.js';

/*
 * The one place @segment/actions-core is loaded (decision D8), on first use: the package (with
 * liquidjs and ajv) costs a noticeable share of a command's start-up, and the commands that only
 * read delivery's state (`linked status`, the dashboard) never send or map an event.
 *
 * Why require, not import: the package's ESM build imports `parseFql` from
 * @segment/destination-subscriptions, whose only build Node can load is CommonJS and whose named
 * exports Node's CJS lexer cannot see, so `import '@segment/actions-core'` fails at link time
 * ("does not provide an export named 'parseFql'"). Its CommonJS build loads and runs fine.
 * The types below are the subset of its API we use, kept loose on purpose: action payloads are
 * whatever the mapping produces, validated at run time by the action's field schema.
 */
const requireCjs = createRequire(import.meta.url);
let loaded: ActionsCore | undefined;
const core = (): ActionsCore => (loaded ??= requireCjs('@segment/actions-core') as ActionsCore);
let mappingValidator: ((m: unknown) => void) | undefined;

/** A request made through actions-core's request client (node-fetch based). */
export type RequestClient = (url: string, options?: Record<string, unknown>) => Promise<CoreResponse>;

export interface CoreResponse {
  status: number;
  headers: { get(name: string): string | null };
  /** Parsed JSON body when the response says application/json, else the text. */
  data?: unknown;
  content?: string;
}

export interface ExecuteBundle<S> {
  payload: Record<string, unknown>[];
  settings: S;
  /** The events as the caller gave them, before the mapping. */
  rawData: unknown[];
  /** The mapping the batch ran with. */
  rawMapping: Record<string, unknown>;
}

/**
 * The mapping a batch runs with when the emitter's mapping hands each event as it is (ActionChoice
 * `eventAsIs`): none, so mapping-kit neither copies nor validates each event, and the action reads
 * the events from `rawData`. An emitter's mapping always holds its action's fields (laid over
 * their defaults), so no emitter's own mapping is ever empty.
 */
export const EVENT_AS_IS: Readonly<Record<string, never>> = Object.freeze({});

/** Whether a batch ran with EVENT_AS_IS (an empty mapping): its action sends `rawData`. */
export const ranAsIs = (bundle: { rawMapping: Record<string, unknown> }): boolean => Object.keys(bundle.rawMapping ?? {}).length === 0;

export interface ActionField {
  label: string;
  description: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'datetime' | 'hidden';
  required?: boolean;
  multiple?: boolean;
  default?: unknown;
  additionalProperties?: boolean;
}

export interface ActionDefinition<S> {
  title: string;
  description: string;
  defaultSubscription?: string;
  fields: Record<string, ActionField>;
  perform: (request: RequestClient, data: { payload: Record<string, unknown>; settings: S }) => Promise<unknown>;
  performBatch: (request: RequestClient, data: ExecuteBundle<S>) => Promise<unknown>;
}

/**
 * A preset: `automatic` ones subscribe by FQL; `specificEvent` ones (Segment's Linked Audiences
 * presets) name the event they serve by its slug, one per trigger.
 */
export type PresetDefinition =
  | { name: string; subscribe: string; partnerAction: string; mapping: Record<string, unknown>; type: 'automatic' }
  | { name: string; eventSlug: string; partnerAction: string; mapping: Record<string, unknown>; type: 'specificEvent' };

export interface DestinationDefinition<S> {
  name: string;
  slug: string;
  mode: 'cloud';
  description?: string;
  authentication?: { scheme: 'custom' | 'basic'; fields: Record<string, unknown> };
  extendRequest?: (data: { settings: S }) => Record<string, unknown>;
  presets?: PresetDefinition[];
  actions: Record<string, ActionDefinition<S>>;
}

/** The errortype actions-core gives an event whose mapped payload failed the action's schema: no request carried it. */
export const PAYLOAD_VALIDATION_FAILED = 'PAYLOAD_VALIDATION_FAILED';

/** One entry of the multistatus array `Destination.executeBatch` returns, one per event. */
export interface MultiStatusNode {
  status: number;
  body?: unknown;
  sent?: unknown;
  errortype?: string;
  errormessage?: string;
}

export interface CoreDestination {
  readonly responses: { status: number; url?: string; request?: { url: string; method: string }; content?: string }[];
  readonly actions: Record<string, unknown>;
  executeBatch(
    actionSlug: string,
    input: { events: unknown[]; mapping: Record<string, unknown>; settings: unknown; signal?: AbortSignal },
  ): Promise<MultiStatusNode[]>;
}

interface ActionsCore {
  Destination: new (definition: unknown) => CoreDestination;
  transform(mapping: Record<string, unknown>, data: unknown): Record<string, unknown>;
  defaultValues(fields: Record<string, unknown>): Record<string, unknown>;
  HTTPError: new (...args: never[]) => Error & { response: CoreResponse & { content?: string } };
  MultiStatusResponse: new () => MultiStatusResponse;
}

/**
 * What a batch action returns to report each event of a 2xx response on its own: executeBatch
 * turns it into one multistatus node per event (a vendor's per-item errors inside a 201).
 */
export interface MultiStatusResponse {
  pushSuccessResponse(value: { status: number; body?: unknown; sent?: unknown }): void;
  pushErrorResponse(value: { status: number; errormessage: string; body?: unknown; sent?: unknown }): void;
}

/** An actions-core `Destination` running `definition`'s actions. */
export const newActionsDestination = (definition: unknown): CoreDestination => new (core().Destination)(definition);
/** mapping-kit's transform: evaluates @path, @template, @if, ... against an event. */
export const transformMapping = (mapping: Record<string, unknown>, data: unknown): Record<string, unknown> => core().transform(mapping, data);
/** The mapping made of each field's `default` directive: what a preset starts from. */
export const fieldDefaults = (fields: Record<string, unknown>): Record<string, unknown> => core().defaultValues(fields);
/** True for the error actions-core's request client throws on a non-2xx answer. */
export const isHTTPError = (e: unknown): e is InstanceType<ActionsCore['HTTPError']> => e instanceof core().HTTPError;
export const newMultiStatusResponse = (): MultiStatusResponse => new (core().MultiStatusResponse)();
/** Throws (with mapping-kit's own message) when a mapping is not valid mapping-kit JSON. */
export function validateMapping(mapping: unknown): void {
  mappingValidator ??= (requireCjs('@segment/actions-core/mapping-kit/validate') as { default: (m: unknown) => void }).default;
  mappingValidator(mapping);
}

/**
 * Request options for a JSON body: `request(url, { method: 'post', ...jsonBody(value) })`, the
 * same bytes and content-type as actions-core's `json` option. With `json`, its request client keeps
 * the serialized string on the request while it lasts and node-fetch copies it into a Buffer: for
 * a batch of a thousand events, a string of most of a megabyte outliving young-generation GCs on
 * every request. Serialized in runs of elements straight into the Buffer sent (json-encode.ts), no
 * string of the whole body exists.
 */
export function jsonBody(value: unknown): { headers?: Record<string, string>; body?: Buffer } {
  const body = jsonBuffer(value);
  if (body === undefined) return {};
  return withJson(body);
}

/**
 * jsonBody of events as they are: their array (`asArray`), or the first alone. Each event is
 * serialized by eventJson, which writes the context an emitter's events share once.
 */
export function eventsBody(events: readonly SegmentEvent[], asArray: boolean): { headers: Record<string, string>; body: Buffer } {
  return withJson(asArray ? jsonArrayBuffer(events.map(eventJson)) : Buffer.from(eventJson(events[0])));
}

const withJson = (body: Buffer) => ({ headers: { 'content-type': 'application/json' }, body });
