export { extractCsv, extractCsvBytes } from './csv.js';
export { compileRowEncoder, type RowEncoder } from './encode.js';
export { InvalidTally } from './notes.js';
export { createWallTimeConverter, isValidTimeZone, offsetMinutesAt } from './timezone.js';
export type {
  AmbiguousCells,
  CellNotes,
  CsvSource,
  EncodedRows,
  ExtractOptions,
  ExtractWindow,
  InvalidCell,
  InvalidCells,
  InvalidValues,
  MultiValueCell,
  RowBatch,
  RowFrame,
  ZeroDates,
} from './types.js';
