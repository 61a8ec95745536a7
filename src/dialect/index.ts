export * from './ast.js';
export { systemName, type Dialect } from './dialect.js';
export { quoteIdent, quoteStateTable, quoteTable } from './identifiers.js';
export { printSql, printerFor, SqlPrinter, type CompiledQuery } from './printer.js';
