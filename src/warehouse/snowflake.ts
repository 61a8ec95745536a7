// Placeholder until the Snowflake adapter lands (issue 3, owned by the warehouse work).
import { LinkedError } from '../model/errors.js';
import type { SnowflakeWarehouseConfig } from '../model/warehouse.js';
import type { Warehouse } from './types.js';

export async function openSnowflake(_config: SnowflakeWarehouseConfig): Promise<Warehouse> {
  throw new LinkedError('NOT_IMPLEMENTED', 'The Snowflake adapter is not implemented yet.');
}
