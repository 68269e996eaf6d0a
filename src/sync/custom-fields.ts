/**
 * Reading a business unit's custom fields from Pardot (v5 custom-fields object) for discover, and
 * checking a read's selected custom fields against them (schema drift).
 *
 * The custom-fields object needs the "Prospect > Prospects > Configure Fields" ability, which an
 * export user often lacks: then a WARN naming it, and the `custom_fields` setting is the list.
 */
import type { Config } from '../config.js';
import { customFieldsOfRecords, mergeCustomFields, withCustomFields, type CustomField } from '../custom-fields.js';
import { isConnectorError, type ConnectorError } from '../errors.js';
import type { PardotApi } from '../pardot/types.js';
import { CUSTOM_FIELD_SUFFIX, CUSTOM_FIELDS_OBJECT, QUERY_MAX_LIMIT } from '../pardot/wire.js';
import { STREAMS, type ConfiguredStream, type StreamDef } from '../streams.js';
import type { LogLevel } from './events.js';

/**
 * What custom-fields asks for (the fields that name and type a custom field). `apiFieldId` is the
 * v5 name; where Pardot refuses it as a field, the list is read again without it and each name is
 * `fieldId` plus `__c` (customFieldsOfRecords).
 */
const FIELDS = ['id', 'name', 'fieldId', 'apiFieldId', 'type', 'isRecordMultipleResponses'];
const API_FIELD_ID = 'apiFieldId';
/** Pages read at most (1000 fields each): a guard against a sequence that never ends. */
const MAX_PAGES = 100;
/** A page that timed out (PARDOT_QUERY_TIMEOUT) or a token refused: the list is read again from the start, at most this often, each time with half the page size. */
const MAX_RESTARTS = 3;

export type CustomFieldList = { readable: true; fields: CustomField[] } | { readable: false; reason: string; permission: boolean };

/** Every prospect custom field Pardot lists (one `query` call per 1000 fields), or why it could not be read. */
export async function readCustomFields(api: PardotApi, signal?: AbortSignal): Promise<CustomFieldList> {
  let fields = FIELDS;
  let limit = QUERY_MAX_LIMIT;
  for (let restarts = 0; ; restarts++) {
    try {
      return { readable: true, fields: customFieldsOfRecords(await readRecords(api, fields, limit, signal), 'prospect') };
    } catch (e) {
      if (signal?.aborted) throw e;
      const code = isConnectorError(e) ? e.code : null;
      if (code === 'PARDOT_INVALID_FIELD' && (e as ConnectorError).context.field === API_FIELD_ID && fields.includes(API_FIELD_ID)) {
        fields = FIELDS.filter((f) => f !== API_FIELD_ID);
        continue;
      }
      if ((code === 'PARDOT_QUERY_TIMEOUT' || code === 'PARDOT_QUERY_TOKEN_INVALID') && restarts < MAX_RESTARTS) {
        if (code === 'PARDOT_QUERY_TIMEOUT') limit = Math.max(1, Math.floor(limit / 2));
        continue;
      }
      return { readable: false, reason: (e as Error).message, permission: code === 'PARDOT_PERMISSION' };
    }
  }
}

async function readRecords(api: PardotApi, fields: string[], limit: number, signal?: AbortSignal): Promise<Record<string, unknown>[]> {
  const records: Record<string, unknown>[] = [];
  const { object, ability } = CUSTOM_FIELDS_OBJECT;
  let page = await api.queryPage({ object, fields, limit, orderBy: 'id ASC', ability }, signal);
  for (let n = 1; ; n++) {
    records.push(...page.values);
    if (page.nextPageToken === null || n >= MAX_PAGES) return records;
    page = await api.queryPage({ object, fields, token: page.nextPageToken, ability }, signal);
  }
}

function unreadableWarning(list: Extract<CustomFieldList, { readable: false }>, then: string): string {
  return list.permission
    ? `Pardot's custom field list needs the "${CUSTOM_FIELDS_OBJECT.ability}" ability, which this API user lacks (${list.reason}); ${then}`
    : `Could not read Pardot's custom field list (${list.reason}); ${then}`;
}

/**
 * The streams discover answers: prospects (and prospect_accounts) with the business unit's custom
 * fields (Pardot's list, then the `custom_fields` setting's entries it lacks), the rest as they are.
 */
export async function discoverStreams(api: PardotApi, config: Config, log: (l: LogLevel, m: string) => void, signal?: AbortSignal): Promise<StreamDef[]> {
  const list = await readCustomFields(api, signal);
  let customs: CustomField[];
  if (list.readable) {
    customs = mergeCustomFields(list.fields, config.customFields);
    log('INFO', `Custom fields: ${list.fields.length} listed by Pardot${config.customFields.length > 0 ? `, ${customs.length - list.fields.length} more from the custom_fields setting` : ''}.`);
  } else {
    customs = config.customFields;
    log(
      'WARN',
      unreadableWarning(
        list,
        config.customFields.length > 0
          ? `the schemas have the standard fields and the ${config.customFields.length} custom field(s) of the custom_fields setting.`
          : `the schemas have the standard fields only. Grant the ability, or list the custom fields in the custom_fields setting (name, with or without __c, and type), then discover again.`,
      ),
    );
  }
  return STREAMS.map((s) =>
    s.kind === 'export'
      ? withCustomFields(s, customs, (cf) => log('WARN', `Custom field '${cf.name}' has the name of a standard field of ${s.name}; it is left out of the schema.`))
      : s,
  );
}

/**
 * Schema drift on read: a selected custom field Pardot no longer lists is dropped from the stream
 * (its column would make every export fail), with a WARN; nothing is read when no stream selects
 * a custom field. Without the ability to list them, the fields stay, and a field Pardot refuses
 * (180/224/51) is dropped when the export is created (export-read.ts). Names compare as v5 names.
 */
export async function dropRemovedCustomFields(
  streams: readonly ConfiguredStream[],
  api: PardotApi,
  config: Config,
  log: (l: LogLevel, m: string) => void,
  signal?: AbortSignal,
): Promise<void> {
  const selecting = streams.filter((cs) => cs.stream.kind === 'export' && cs.fields.some((f) => isCustom(cs, f.name)));
  if (selecting.length === 0) return;
  warnLegacyNames(selecting, log);
  const list = await readCustomFields(api, signal);
  if (!list.readable) {
    log('WARN', unreadableWarning(list, 'the selected custom fields are requested as the catalog names them (one Pardot refuses is then left out with a WARN).'));
    return;
  }
  const known = new Set(mergeCustomFields(list.fields, config.customFields).map((cf) => `${cf.object}\u0000${cf.name}`));
  for (const cs of selecting) {
    if (cs.stream.kind !== 'export') continue;
    const object = cs.stream.object;
    const gone = cs.fields.filter((f) => isCustom(cs, f.name) && !known.has(`${object}\u0000${f.name}`)).map((f) => f.name);
    if (gone.length === 0) continue;
    // Prospect accounts' custom fields are not in Pardot's list (it holds prospect fields): only the setting knows them.
    cs.fields = cs.fields.filter((f) => !gone.includes(f.name));
    log(
      'WARN',
      `${cs.stream.name}: custom field(s) ${gone.join(', ')} selected in the catalog are no longer in Pardot's custom field list (deleted or renamed); ` +
        `they are left out of this read (no column, no value). Run discover and refresh the catalog to pick up the current custom fields.`,
    );
  }
}

/**
 * A catalog saved by an earlier version names custom fields by `fieldId` (`Partner_Level`): they
 * are read under their v5 name (`Partner_Level__c`), which the destination's schema lacks until
 * the catalog is built again.
 */
function warnLegacyNames(streams: readonly ConfiguredStream[], log: (l: LogLevel, m: string) => void): void {
  for (const cs of streams) {
    if (cs.stream.kind !== 'export') continue;
    const renamed = cs.stream.fields.filter((f) => f.legacyName !== undefined && cs.fields.some((s) => s.name === f.name));
    if (renamed.length === 0) continue;
    log(
      'WARN',
      `${cs.stream.name}: the catalog names custom field(s) ${renamed.map((f) => `${f.legacyName} (now ${f.name})`).join(', ')} as an earlier version of this connector did; ` +
        `they are requested and emitted under Pardot's v5 names (with ${CUSTOM_FIELD_SUFFIX}). Refresh the catalog (source-pardot-export catalog, or discover) so that the destination's schema has those names.`,
    );
  }
}

function isCustom(cs: ConfiguredStream, name: string): boolean {
  return cs.stream.kind === 'export' && cs.stream.fields.some((f) => f.name === name && f.custom === true);
}
