/*
 * Snowflake SQL -> DuckDB SQL, token by token. Every name is resolved as Snowflake resolves it
 * (unquoted -> upper case, quoted -> as written) and printed as an encoded quoted DuckDB name
 * (names.ts); every unquoted word is a known keyword, a known type, a known function or a name.
 * Functions and types outside the tables below fail with `unsupported`, never silently.
 * Bound values are inlined as literals of the type the driver bound them with: a value bound in
 * the wrong place fails (or differs) here as it would on Snowflake.
 */
import { duckIdent } from './names.js';
import { SnowflakeError, unsupported } from './errors.js';
import { group, isOp, isWord, splitCommas, tokenize, type Node } from './tokens.js';

export interface Bind {
  type: string;
  value: unknown;
}

export interface TranslateOptions {
  sqlText: string;
  binds: readonly Bind[];
  /** The statement's start: CURRENT_TIMESTAMP is one instant per statement on Snowflake. */
  now: Date;
}

export interface Translation {
  sql: string;
  /** The statement's first word, upper case (SELECT, INSERT, CREATE, ...). */
  head: string;
  /** CREATE / DROP / ALTER / TRUNCATE: Snowflake commits an open transaction before it. */
  ddl: boolean;
}

const KEYWORDS = new Set(
  `SELECT DISTINCT FROM WHERE GROUP BY HAVING ORDER LIMIT OFFSET AS ON JOIN INNER LEFT RIGHT FULL OUTER CROSS
   AND OR NOT IN IS NULL TRUE FALSE EXISTS CASE WHEN THEN ELSE END UNION ALL ANY SOME WITH INSERT INTO VALUES
   UPDATE SET DELETE CREATE REPLACE TABLE SCHEMA IF DROP ALTER ADD COLUMN RENAME TO DEFAULT OVER PARTITION ASC
   NULLS FIRST LAST BETWEEN LIKE ILIKE ESCAPE QUALIFY USING BEGIN TRANSACTION COMMIT ROLLBACK WORK START CASCADE
   RESTRICT TEMPORARY TEMP VIEW EXCEPT INTERSECT ROWS RANGE UNBOUNDED PRECEDING FOLLOWING CURRENT ROW TRUNCATE
   INTERVAL`.split(/\s+/),
);
/**
 * Words that only begin a construct the emulation does not model (never a plain name in the
 * project's SQL): refused by name wherever they appear unquoted.
 */
const UNSUPPORTED_WORDS = new Set(
  `MERGE MATCHED LATERAL FLATTEN PIVOT UNPIVOT TABLESAMPLE MATCH_RECOGNIZE AUTOINCREMENT NEXTVAL UNDROP CLONE
   RECURSIVE WITHIN NATURAL COLLATE SHOW DESCRIBE EXPLAIN CALL GRANT REVOKE`.split(/\s+/),
);
/** Objects CREATE may make that the emulation does not (Snowflake's standard tables have no indexes). */
const UNSUPPORTED_OBJECTS = new Set(['INDEX', 'SEQUENCE', 'STAGE', 'STREAM', 'TASK', 'PIPE', 'FUNCTION', 'PROCEDURE', 'DATABASE', 'WAREHOUSE']);

const TEXT_TYPES = new Set(['VARCHAR', 'STRING', 'TEXT', 'CHAR', 'CHARACTER', 'NVARCHAR', 'NCHAR']);
const INTEGER_TYPES = new Set(['INT', 'INTEGER', 'BIGINT', 'SMALLINT', 'TINYINT', 'BYTEINT']);
const TYPES: Record<string, (precision: string[]) => string> = {
  ...Object.fromEntries([...TEXT_TYPES].map((t) => [t, () => 'VARCHAR'])),
  ...Object.fromEntries([...INTEGER_TYPES].map((t) => [t, () => 'BIGINT'])),
  ...Object.fromEntries(
    ['NUMBER', 'DECIMAL', 'NUMERIC'].map((t) => [t, ([p, s]: string[]) => (s && Number(s) > 0 ? `DECIMAL(${Math.min(Number(p), 38)}, ${s})` : 'BIGINT')]),
  ),
  ...Object.fromEntries(['FLOAT', 'FLOAT4', 'FLOAT8', 'DOUBLE', 'REAL'].map((t) => [t, () => 'DOUBLE'])),
  BOOLEAN: () => 'BOOLEAN',
  DATE: () => 'DATE',
  TIME: () => 'TIME',
  // TIMESTAMP_TYPE_MAPPING's default: TIMESTAMP means TIMESTAMP_NTZ.
  TIMESTAMP: () => 'TIMESTAMP',
  TIMESTAMP_NTZ: () => 'TIMESTAMP',
  DATETIME: () => 'TIMESTAMP',
  TIMESTAMP_LTZ: () => 'TIMESTAMPTZ',
  TIMESTAMP_TZ: () => 'TIMESTAMPTZ',
  VARIANT: () => 'JSON',
  OBJECT: () => 'JSON',
  ARRAY: () => 'JSON',
  BINARY: () => 'BLOB',
};

const DATE_PARTS: Record<string, string> = {
  YEAR: 'year', YEARS: 'year', Y: 'year', YY: 'year', YYYY: 'year',
  MONTH: 'month', MONTHS: 'month', MM: 'month', MON: 'month',
  WEEK: 'week', WEEKS: 'week', W: 'week', WK: 'week',
  DAY: 'day', DAYS: 'day', D: 'day', DD: 'day',
  HOUR: 'hour', HOURS: 'hour', H: 'hour', HH: 'hour',
  MINUTE: 'minute', MINUTES: 'minute', MI: 'minute', MIN: 'minute',
  SECOND: 'second', SECONDS: 'second', S: 'second', SEC: 'second',
};
/** DuckDB's interval constructor per part, and the integer type it takes. */
const INTERVAL_OF: Record<string, [string, string]> = {
  year: ['to_years', 'INTEGER'],
  month: ['to_months', 'INTEGER'],
  week: ['to_weeks', 'INTEGER'],
  day: ['to_days', 'INTEGER'],
  hour: ['to_hours', 'BIGINT'],
  minute: ['to_minutes', 'BIGINT'],
  second: ['to_seconds', 'DOUBLE'],
};

/** Functions whose DuckDB namesake means the same for the arguments the project passes. */
const SAME = `COUNT SUM MIN MAX AVG COALESCE NULLIF ROW_NUMBER RANK DENSE_RANK LEAD LAG FIRST_VALUE LAST_VALUE LOWER
  UPPER TRIM LTRIM RTRIM LENGTH ABS ROUND FLOOR CEIL REPLACE SUBSTR SUBSTRING MOD POWER SQRT LN EXP SIGN LEFT RIGHT
  ANY_VALUE COUNT_IF MD5 LPAD RPAD SPLIT_PART POSITION`.split(/\s+/);
const RENAMED: Record<string, string> = {
  NVL: 'coalesce',
  CONTAINS: 'contains',
  STARTSWITH: 'starts_with',
  ENDSWITH: 'ends_with',
  BOOLOR_AGG: 'bool_or',
  BOOLAND_AGG: 'bool_and',
  REGEXP_LIKE: 'regexp_full_match',
};
/** One-argument conversions: Snowflake's function -> a DuckDB cast. */
const CONVERSIONS: Record<string, [cast: 'CAST' | 'TRY_CAST', type: string]> = {
  TRY_TO_DOUBLE: ['TRY_CAST', 'DOUBLE'],
  TRY_TO_TIMESTAMP: ['TRY_CAST', 'TIMESTAMP'],
  TRY_TO_TIMESTAMP_NTZ: ['TRY_CAST', 'TIMESTAMP'],
  // Text without an offset is read in the session's TIMEZONE: DuckDB's TimeZone follows it (engine.ts).
  TRY_TO_TIMESTAMP_TZ: ['TRY_CAST', 'TIMESTAMPTZ'],
  TRY_TO_DATE: ['TRY_CAST', 'DATE'],
  TRY_TO_BOOLEAN: ['TRY_CAST', 'BOOLEAN'],
  TO_DOUBLE: ['CAST', 'DOUBLE'],
  TO_TIMESTAMP: ['CAST', 'TIMESTAMP'],
  TO_TIMESTAMP_NTZ: ['CAST', 'TIMESTAMP'],
  TO_DATE: ['CAST', 'DATE'],
  TO_BOOLEAN: ['CAST', 'BOOLEAN'],
  TO_VARCHAR: ['CAST', 'VARCHAR'],
  TO_CHAR: ['CAST', 'VARCHAR'],
};
/** Functions that return a VARIANT: a cast of one to text unwraps a JSON string, as Snowflake does. */
const VARIANT_FUNCTIONS = new Set(['GET_PATH', 'STRIP_NULL_VALUE', 'PARSE_JSON', 'TRY_PARSE_JSON']);

/** DuckDB macros the translations call; created on each session's connection. */
export const MACROS = [
  // Snowflake doubles a quote inside a quoted path key; DuckDB's JSON path escapes it (and \\) with \\.
  `CREATE OR REPLACE TEMP MACRO sf_json_path(p) AS (CASE WHEN starts_with(p, '[') THEN '$' ELSE '$.' END) || replace(replace(p, '\\', '\\\\'), '""', '\\"')`,
  `CREATE OR REPLACE TEMP MACRO sf_strip_null(v) AS CASE WHEN json_type(v) = 'NULL' THEN NULL ELSE v END`,
  `CREATE OR REPLACE TEMP MACRO sf_variant_text(v) AS CASE WHEN json_type(v) = 'VARCHAR' THEN json_extract_string(v, '$') ELSE CAST(v AS VARCHAR) END`,
];

export function sqlString(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

const NUMERIC = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Pieces of output text; a `.` glues its neighbours. */
class Out {
  private text = '';
  private glueNext = false;
  add(piece: string, glue = false): void {
    this.text += this.text === '' || glue || this.glueNext || piece === ',' ? piece : ` ${piece}`;
    this.glueNext = false;
  }
  dot(): void {
    this.text += '.';
    this.glueNext = true;
  }
  toString(): string {
    return this.text;
  }
}

class Translator {
  private nextBind = 0;

  constructor(private readonly o: TranslateOptions) {}

  fail(construct: string): never {
    throw unsupported(construct, this.o.sqlText);
  }

  statement(nodes: Node[]): string {
    const last = nodes.at(-1);
    const body = isOp(last, ';') ? nodes.slice(0, -1) : nodes;
    if (body.some((n) => isOp(n, ';'))) {
      throw new SnowflakeError('000008', '0A000', 'Actual statement count 2 did not match the desired statement count 1.');
    }
    const sql = this.seq(isWord(body[0], 'CREATE') ? stripConstraints(body) : body);
    if (this.nextBind < this.o.binds.length) {
      throw new SnowflakeError('002049', '42601', `SQL compilation error: Bind variable count mismatch: ${this.o.binds.length} bound, ${this.nextBind} used.`);
    }
    return sql;
  }

  seq(nodes: readonly Node[]): string {
    const out = new Out();
    for (let i = 0; i < nodes.length; i++) {
      const n = nodes[i];
      switch (n.t) {
        case 'group':
          out.add(`(${this.seq(n.items)})`);
          break;
        case 'qident':
          out.add(duckIdent(n.v));
          break;
        case 'string':
          out.add(sqlString(n.v));
          break;
        case 'number':
          out.add(n.v);
          break;
        case 'param':
          out.add(this.bind());
          break;
        case 'op':
          if (n.v === '.') out.dot();
          else if (n.v === ':' || n.v === '[' || n.v === ']') this.fail(`variant path operator ${n.v}`);
          else if (n.v === '=>' || n.v === ';' || n.v === '$') this.fail(`operator ${n.v}`);
          else out.add(n.v);
          break;
        case 'word':
          i += this.word(nodes, i, out);
          break;
      }
    }
    return out.toString();
  }

  /** Translates the word at `i`; returns how many following nodes it consumed. */
  private word(nodes: readonly Node[], i: number, out: Out): number {
    const n = nodes[i] as { v: string };
    const up = n.v.toUpperCase();
    const prev = nodes[i - 1];
    const next = nodes[i + 1];
    if (isOp(prev, '.')) {
      if (up === 'NEXTVAL') this.fail('sequence NEXTVAL');
      out.add(duckIdent(up));
      return 0;
    }
    if (['CURRENT_TIMESTAMP', 'SYSDATE', 'LOCALTIMESTAMP', 'CURRENT_DATE'].includes(up)) {
      out.add(this.now(up));
      return next?.t === 'group' && next.items.every((x) => x.t === 'number') ? 1 : 0;
    }
    if (next?.t === 'group' && this.isFunction(up)) {
      out.add(this.call(up, splitCommas(next.items)));
      return 1;
    }
    if (up in TYPES) {
      const precision = next?.t === 'group' ? splitCommas(next.items).map((p) => p.map((x) => ('v' in x ? x.v : '')).join('')) : [];
      out.add(TYPES[up](precision));
      return next?.t === 'group' ? 1 : 0;
    }
    if (UNSUPPORTED_WORDS.has(up)) this.fail(up);
    if (up === 'MINUS') return out.add('EXCEPT'), 0;
    if (up === 'TRANSIENT') return 0;
    // Snowflake sorts NULLs first when descending, DuckDB last.
    if (up === 'DESC') return out.add(isWord(next, 'NULLS') ? 'DESC' : 'DESC NULLS FIRST'), 0;
    // KEY is a keyword only after PRIMARY / FOREIGN; elsewhere it is a name (the state's `key` columns).
    if (KEYWORDS.has(up) || up === 'PRIMARY' || (up === 'KEY' && isWord(prev, 'PRIMARY', 'FOREIGN')) || up === 'UNIQUE' || up === 'NOT') {
      out.add(up);
      return 0;
    }
    if (next?.t === 'group' && !isWord(prev, 'TABLE', 'INTO', 'EXISTS', 'VIEW')) this.fail(`function ${up}`);
    out.add(duckIdent(up));
    return 0;
  }

  private isFunction(up: string): boolean {
    return SAME.includes(up) || up in RENAMED || up in CONVERSIONS || up in SPECIAL;
  }

  private call(up: string, args: Node[][]): string {
    const special = SPECIAL[up];
    if (special) return special(this, args);
    if (up in CONVERSIONS) {
      if (args.length !== 1) this.fail(`${up} with ${args.length} arguments`);
      const [cast, type] = CONVERSIONS[up];
      return `${cast}(${this.seq(args[0])} AS ${type})`;
    }
    return `${RENAMED[up] ?? up}(${args.map((a) => this.seq(a)).join(', ')})`;
  }

  datePart(arg: Node[]): string {
    const n = arg[0];
    const word = arg.length === 1 && (n.t === 'word' || n.t === 'string') ? n.v.toUpperCase() : '';
    const part = DATE_PARTS[word];
    if (!part) this.fail(`date part ${word || 'expression'}`);
    return part;
  }

  cast(kind: 'CAST' | 'TRY_CAST', args: Node[][]): string {
    const arg = args[0] ?? [];
    const as = arg.findIndex((x) => isWord(x, 'AS'));
    if (args.length !== 1 || as < 1) this.fail(`${kind} without AS`);
    const inner = arg.slice(0, as);
    const type = this.seq(arg.slice(as + 1));
    const typeWord = arg[as + 1];
    const toText = typeWord?.t === 'word' && TEXT_TYPES.has(typeWord.v.toUpperCase());
    const ofVariant = inner.length === 2 && inner[0].t === 'word' && VARIANT_FUNCTIONS.has(inner[0].v.toUpperCase()) && inner[1].t === 'group';
    if (toText && ofVariant) return `sf_variant_text(${this.seq(inner)})`;
    const bound = inner.length === 1 && inner[0].t === 'param' ? this.o.binds[this.nextBind] : undefined;
    if (bound && (bound.type === 'FIXED' || bound.type === 'REAL') && /^TIMESTAMP/.test(type)) {
      // Snowflake reads a number cast to a timestamp as seconds since the epoch.
      return `make_timestamp(CAST(${this.bind()} * 1000000 AS BIGINT))`;
    }
    return `${kind}(${this.seq(inner)} AS ${type})`;
  }

  private now(word: string): string {
    const instant = `TIMESTAMPTZ '${this.o.now.toISOString()}'`;
    // CURRENT_TIMESTAMP is a TIMESTAMP_LTZ: DuckDB converts it with the session's TimeZone, as
    // Snowflake does with TIMEZONE when it meets a TIMESTAMP_NTZ.
    if (word === 'CURRENT_DATE') return `CAST(${instant} AS DATE)`;
    if (word === 'SYSDATE') return `(${instant} AT TIME ZONE 'UTC')`;
    if (word === 'LOCALTIMESTAMP') return `CAST(${instant} AS TIMESTAMP)`;
    return `(${instant})`;
  }

  private bind(): string {
    const b = this.o.binds[this.nextBind++];
    if (!b) throw new SnowflakeError('002049', '42601', 'SQL compilation error: Bind variable ? not set.');
    if (b.value === null || b.value === undefined) return 'NULL';
    const v = String(b.value);
    switch (b.type) {
      case 'FIXED':
      case 'REAL':
        if (!NUMERIC.test(v)) return `CAST(${sqlString(v)} AS DOUBLE)`;
        return v.startsWith('-') ? `(${v})` : v;
      case 'BOOLEAN':
        return v === 'true' || v === '1' ? 'TRUE' : 'FALSE';
      case 'TEXT':
        return sqlString(v);
      default:
        return this.fail(`bind type ${b.type}`);
    }
  }
}

type Special = (t: Translator, args: Node[][]) => string;

function arity(t: Translator, name: string, args: Node[][], n: number): void {
  if (args.length !== n) t.fail(`${name} with ${args.length} arguments`);
}

const SPECIAL: Record<string, Special> = {
  CAST: (t, args) => t.cast('CAST', args),
  TRY_CAST: (t, args) => t.cast('TRY_CAST', args),
  IFF: (t, args) => {
    arity(t, 'IFF', args, 3);
    const [c, a, b] = args.map((x) => t.seq(x));
    return `(CASE WHEN ${c} THEN ${a} ELSE ${b} END)`;
  },
  ZEROIFNULL: (t, args) => (arity(t, 'ZEROIFNULL', args, 1), `coalesce(${t.seq(args[0])}, 0)`),
  // Snowflake's CONCAT, GREATEST and LEAST are NULL when any argument is; DuckDB's skip NULLs.
  CONCAT: (t, args) => `(${args.map((a) => `(${t.seq(a)})`).join(' || ')})`,
  GREATEST: (t, args) => nullIfAnyNull(t, 'greatest', args),
  LEAST: (t, args) => nullIfAnyNull(t, 'least', args),
  DATEADD: (t, args) => {
    arity(t, 'DATEADD', args, 3);
    const [fn, type] = INTERVAL_OF[t.datePart(args[0])];
    // Translated in written order: bound values are taken in the order their markers appear.
    const [amount, time] = [t.seq(args[1]), t.seq(args[2])];
    return `(${time} + ${fn}(CAST(${amount} AS ${type})))`;
  },
  DATEDIFF: (t, args) => {
    arity(t, 'DATEDIFF', args, 3);
    return `date_diff('${t.datePart(args[0])}', ${t.seq(args[1])}, ${t.seq(args[2])})`;
  },
  PARSE_JSON: (t, args) => (arity(t, 'PARSE_JSON', args, 1), `CAST(${t.seq(args[0])} AS JSON)`),
  TRY_PARSE_JSON: (t, args) => {
    arity(t, 'TRY_PARSE_JSON', args, 1);
    const v = t.seq(args[0]);
    return `(CASE WHEN json_valid(${v}) THEN CAST(${v} AS JSON) END)`;
  },
  GET_PATH: (t, args) => (arity(t, 'GET_PATH', args, 2), `json_extract(CAST(${t.seq(args[0])} AS JSON), sf_json_path(${t.seq(args[1])}))`),
  STRIP_NULL_VALUE: (t, args) => (arity(t, 'STRIP_NULL_VALUE', args, 1), `sf_strip_null(${t.seq(args[0])})`),
  IS_NULL_VALUE: (t, args) => (arity(t, 'IS_NULL_VALUE', args, 1), `(json_type(${t.seq(args[0])}) = 'NULL')`),
  // The two-argument form, on a TIMESTAMP_TZ: the wall clock in the target zone. DuckDB's timezone()
  // gives it as a TIMESTAMP, which a cast to TIMESTAMP_NTZ keeps, as Snowflake keeps a TZ's wall clock.
  CONVERT_TIMEZONE: (t, args) => (arity(t, 'CONVERT_TIMEZONE', args, 2), `timezone(${t.seq(args[0])}, ${t.seq(args[1])})`),
  UUID_STRING: (t, args) => (arity(t, 'UUID_STRING', args, 0), `CAST(uuid() AS VARCHAR)`),
};

function nullIfAnyNull(t: Translator, fn: string, args: Node[][]): string {
  const xs = args.map((a) => `(${t.seq(a)})`);
  return `(CASE WHEN ${xs.map((x) => `${x} IS NULL`).join(' OR ')} THEN NULL ELSE ${fn}(${xs.join(', ')}) END)`;
}

/**
 * Snowflake records PRIMARY KEY, UNIQUE and FOREIGN KEY constraints but does not enforce them
 * (NOT NULL it does): the column list of a CREATE TABLE loses them, so duplicates go in as they
 * would there.
 */
function stripConstraints(nodes: Node[]): Node[] {
  const table = nodes.findIndex((n) => isWord(n, 'TABLE'));
  const cols = nodes.findIndex((n, i) => i > table && n.t === 'group');
  if (table < 0 || cols < 0 || nodes.slice(table, cols).some((n) => isWord(n, 'AS'))) return nodes;
  const defs = splitCommas((nodes[cols] as { items: Node[] }).items)
    .filter((d) => !isWord(d[0], 'PRIMARY', 'UNIQUE', 'FOREIGN', 'CONSTRAINT'))
    .map(stripColumnConstraints);
  const items = defs.flatMap((d, i) => (i === 0 ? d : [{ t: 'op', v: ',' } as Node, ...d]));
  return [...nodes.slice(0, cols), { t: 'group', items }, ...nodes.slice(cols + 1)];
}

function stripColumnConstraints(def: Node[]): Node[] {
  const out: Node[] = [];
  for (let i = 0; i < def.length; i++) {
    if (isWord(def[i], 'PRIMARY') && isWord(def[i + 1], 'KEY')) i++;
    else if (isWord(def[i], 'UNIQUE')) continue;
    else if (isWord(def[i], 'REFERENCES')) {
      let j = i + 2;
      while (isOp(def[j], '.')) j += 2;
      if (def[j]?.t === 'group') j++;
      i = j - 1;
    } else out.push(def[i]);
  }
  return out;
}

/** Translates one Snowflake statement with its binds. */
export function translate(options: TranslateOptions): Translation {
  const nodes = group(tokenize(options.sqlText));
  const head = nodes[0]?.t === 'word' ? nodes[0].v.toUpperCase() : nodes[0]?.t === 'group' ? 'SELECT' : '';
  if (head === 'CREATE' || head === 'DROP') {
    const object = nodes.slice(1).find((n) => !isWord(n, 'OR', 'REPLACE', 'UNIQUE', 'TRANSIENT', 'TEMPORARY', 'TEMP', 'IF', 'NOT', 'EXISTS'));
    if (object?.t === 'word' && UNSUPPORTED_OBJECTS.has(object.v.toUpperCase())) throw unsupported(`${head} ${object.v.toUpperCase()}`, options.sqlText);
  }
  const sql = new Translator(options).statement(nodes);
  return { sql, head, ddl: ['CREATE', 'DROP', 'ALTER', 'TRUNCATE'].includes(head) };
}
