// Fake Salesforce OAuth + Pardot v5 Export API on loopback. See server.ts for behaviour.
export {
  startFakePardot,
  DEFAULTS,
  ROUTE_KINDS,
  type FakePardot,
  type FakePardotOptions,
  type FakeGrant,
  type FakeExport,
  type FakeStats,
  type FakeRequest,
  type Fault,
  type FaultKind,
  type FaultPlan,
  type RouteKind,
  type ExportState,
  type StaticResult,
  type StaticResultFor,
  type ExportTiming,
  type QueueStats,
  type RowChange,
  type FakeEvent,
  type FakeListener,
} from './server.js';
export { chooseOddCells, ODD_VALUES, type OddCell, type OddCellsOptions } from './odd-cells.js';
export {
  apiFieldIdOf,
  isMultiValued,
  customColumn,
  customHeader,
  exportColumns,
  customFieldRecord,
  CUSTOM_FIELD_TYPES,
  CUSTOM_FIELD_OBJECT_FIELDS,
  CUSTOM_FIELD_OBJECT_FILTERS,
  CUSTOM_FIELD_OBJECT_SORTABLE,
  type FakeCustomField,
  type FakeCustomFieldType,
  type CustomFieldCsv,
  type StandardCsv,
} from './custom-fields.js';
export {
  generateData,
  lazyProspects,
  specialInstants,
  dstTransitions,
  prng,
  hash32,
  shuffleInPlace,
  TRICKY_STRINGS,
  DEFAULT_COUNTS,
  type DataSource,
  type LazySource,
  type GenerateOptions,
  type LazyOptions,
  type Row,
  type CellValue,
} from './data.js';
export { FIELDS, OBJECT_NAMES, VISITOR_ACTIVITY_TYPES, exportableFields, fieldDef, type ObjectName, type FieldDef, type FieldType } from './fields.js';
export { PROCEDURES, MAX_FIELDS, MAX_SPAN_MS, CODES } from './procedures.js';
export { formatWallTime, formatIsoWithOffset, offsetMinutes, wallToInstant, parseDateArgument } from './time.js';
export { RawCell, renderCell, quoteCell, rowRenderer, headerLine, dayText, multiValueText, type Column, type ColumnKind } from './csv.js';
export {
  QUERY_DEFAULTS,
  CAP_WARNING,
  CAP_WARNING_TEXT,
  MISSING_ABILITY,
  EXPORT_OBJECT_QUERIES,
  V5_CODES,
  type FakeQueryObject,
  type FakeQueryOptions,
  type FakeV5Records,
  type QueryPageInfo,
  type QueryStats,
} from './query.js';
export { V5_OBJECTS, v5Object, filterField, type V5ObjectDef, type V5FieldType } from './v5-objects.js';
