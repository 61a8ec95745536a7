import { checkCatalog } from '../graph/catalog.js';
import { AppliedModel } from '../model/applied-model.js';
import type { Warehouse } from '../warehouse/types.js';
import type { ComputeModel } from './model.js';

/**
 * What of the applied Data Graph the warehouse no longer has, for one audience and the audiences
 * it includes: the catalog check's errors (a column renamed or dropped, a type changed), one
 * sentence each, or undefined when it finds none. Asked only after the warehouse refused to
 * compile the audience's SQL, whose own message names the SQL's aliases, which no user wrote.
 */
export async function catalogDrift(wh: Warehouse, resources: ComputeModel, audienceKey: string): Promise<string | undefined> {
  const audiences = new AppliedModel(resources).withLinkedDependencies(audienceKey);
  const errors = (await checkCatalog(resources, wh, { audiences, duplicateKeys: false })).filter((d) => d.severity === 'error');
  if (errors.length === 0) return undefined;
  // A column the graph declares and a condition reads is one finding per use, with one sentence:
  // the run's message says what the warehouse lost, each thing once.
  // A hint in parentheses drops its closing full stop (Known: a, b.): the sentence goes on after it.
  return [...new Set(errors.map((d) => `${d.message}${d.hint ? ` (${d.hint.replace(/\.$/, '')})` : ''}`))].join('; ');
}
