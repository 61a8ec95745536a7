import type { CatalogColumn, CatalogTable } from './types.js';

/**
 * A row of `information_schema.columns` as both adapters select it: aliased in upper case, the
 * way Snowflake names the view's columns, so one mapping reads either warehouse's answer.
 */
export interface InformationSchemaColumn {
  COLUMN_NAME: string;
  DATA_TYPE: string;
  IS_NULLABLE: string;
}

/** The catalog's description of `name` from its columns, each type sorted into a family by the warehouse's own rule. */
export function catalogTable(
  name: string,
  rows: readonly InformationSchemaColumn[],
  familyOf: (type: string) => CatalogColumn['family'],
): CatalogTable {
  return {
    name,
    columns: rows.map((r) => ({ name: r.COLUMN_NAME, type: r.DATA_TYPE, family: familyOf(r.DATA_TYPE), nullable: r.IS_NULLABLE === 'YES' })),
  };
}
