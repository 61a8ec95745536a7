import { Lazy, type IResolvable, type TerraformMetaArguments } from './cdktn.js';
import type { AttributeSpec } from '../src/model/attributes.js';

/** The field names of a model input type (of any variant, for a union). */
type FieldOf<T> = T extends unknown ? Extract<keyof T, string> : never;

/**
 * Every attribute of a generated L1 config, required: the provider block, written field by
 * field, cannot leave out an attribute the model gained.
 */
export type AllAttributes<Config> = Required<Omit<Config, keyof TerraformMetaArguments | 'alias'>>;

/**
 * The attributes of one model object as its L1 resource takes them (scalars as they are, lists
 * of strings as lists, structures as one JSON string), resolved at synth from `encoded`: the
 * L1 is made in the construct's constructor, its values are known once the stack has validated
 * the model (defaults applied) before synthesis.
 */
export class ModelAttributes<Input> {
  constructor(private readonly encoded: () => Readonly<Record<string, unknown>>) {}

  /** A string attribute. */
  string(field: FieldOf<Input>): string {
    return Lazy.stringValue({ produce: () => this.typed(field, isString) });
  }

  /** A structured field, JSON-encoded into one string attribute. */
  json(field: FieldOf<Input>): string {
    return this.string(field);
  }

  number(field: FieldOf<Input>): number {
    return Lazy.numberValue({ produce: () => this.typed(field, isNumber) });
  }

  bool(field: FieldOf<Input>): IResolvable {
    return Lazy.anyValue({ produce: () => this.typed(field, isBoolean) });
  }

  /** A list of strings. */
  list(field: FieldOf<Input>): string[] {
    return Lazy.listValue({ produce: () => this.typed(field, isStringList) });
  }

  /** Every attribute of `specs`, each read the way its encoding travels (keyed by field, as the L1 configs are). */
  all(specs: readonly AttributeSpec[]): Record<string, unknown> {
    return Object.fromEntries(specs.map((spec) => [spec.field, this[spec.encoding](spec.field as FieldOf<Input>)]));
  }

  /** The encoded value when it has the attribute's type; a model that does not parse fails validation before synth. */
  private typed<T>(field: string, is: (v: unknown) => v is T): T | undefined {
    const value = this.encoded()[field];
    return is(value) ? value : undefined;
  }
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isNumber = (v: unknown): v is number => typeof v === 'number';
const isBoolean = (v: unknown): v is boolean => typeof v === 'boolean';

function isStringList(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((x) => typeof x === 'string');
}
