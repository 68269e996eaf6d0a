export { extractCsv, extractCsvBytes } from './csv.js';
export { compileRowEncoder, type RowEncoder } from './encode.js';
export { createWallTimeConverter, isValidTimeZone, offsetMinutesAt } from './timezone.js';
export type { CsvSource, EncodedRows, ExtractOptions, RowBatch, RowFrame } from './types.js';
