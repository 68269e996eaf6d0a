// The fake's own table of the Pardot v5 objects the connector reads through the query API,
// written from Salesforce's Account Engagement v5 reference pages (one `doc` per object). The
// query endpoint (query.ts) answers only from this table, and the test data (test/helpers/
// query-objects.ts) is generated from it: nothing here comes from the product's src/ tables.
//
// Where the stored copy of a page stops before a section (the pages list required/optional
// editable fields, then read-only fields, then "Sortable Fields" and a filter table; the stored
// excerpts rarely reach the last two), the fact the fake holds is marked in `inferred` with the
// reason and, where there is one, a second source. Sources named in the notes:
// - PAGE: the Salesforce page itself (the stored excerpt of `doc`).
// - SCRAPE: amp-labs/connectors providers/salesforce/internal/pardot/schemas.json @bd0eea2, a
//   machine scrape of each page's read-only field table (name, type) with its page URL.
// - BAL: ballerina-platform's generated Pardot v5 client (2022), whose query functions list each
//   page's filter parameters (id*, createdAt*, updatedAt*, parentFolderId*, visitorId* ...).
// - AMP: amp-labs/connectors providers/salesforce/internal/pardot/incremental.go, which names,
//   per object and with the page URL, the date filter Pardot applies (or none: filtered client-side).
// - POSTHOG: PostHog's Pardot source (settings.py), field lists and notes read from the pages.
// - CLIENT: a public connector description listing the `fields` it requests per v5 object.
// - CDATA: CData's Salesforce Pardot V5 driver pages (which filters run server-side).
// - ERRORS: Salesforce's error-codes page (as transcribed by api-evangelist/pardot errors.yml).

/** Field types as the pages give them ("Int" is written Integer). */
export type V5FieldType = 'Integer' | 'String' | 'Boolean' | 'DateTime' | 'Date' | 'Float' | 'Enum' | 'Array' | 'Object';

export interface V5ObjectDef {
  /** The URL name: GET /api/v5/objects/{object}. */
  readonly object: string;
  /** The Salesforce page the entry was written from. */
  readonly doc: string;
  /** The ability the page names for Query (null where the stored excerpt does not show it). */
  readonly ability: string | null;
  /** Fields a query may name, with their type. `Object` fields are served as JSON objects. */
  readonly fields: Readonly<Record<string, V5FieldType>>;
  /**
   * Collection fields (the page's type ends in `[]`): refused whole in a query (Pardot:
   * "collections are not supported on query operations", code 51); the listed sub-fields may be
   * named as `<collection>.<sub-field>`.
   */
  readonly collections?: Readonly<Record<string, readonly string[]>>;
  /** Fields the page marks "isn't queryable" or "Write-Only ... on create": refused like unknown ones. */
  readonly notQueryable?: readonly string[];
  /** Fields `orderBy` accepts (empty: the object takes no orderBy). */
  readonly sortable: readonly string[];
  /** Filter parameter names the query accepts. */
  readonly filters: readonly string[];
  /** Whether `deleted=all|true|false` applies (version5overview: objects moved to the recycle bin). */
  readonly deleted: boolean;
  /** Read with GET /api/v5/objects/{object} and no query operation (the account). */
  readonly singleton?: boolean;
  /** Values of Enum fields as the page lists them (for test data). */
  readonly enums?: Readonly<Record<string, readonly string[]>>;
  /**
   * Facts the stored page excerpt does not show, with why the fake holds them. Keys:
   * `field:<name>`, `filter:<name>` (or `filters` for the whole list), `sortable`, `deleted`.
   */
  readonly inferred?: Readonly<Record<string, string>>;
  /**
   * Why the object's records never change once they exist (the page lists no update operation):
   * a creation or send date then moves with every record, so reading by it misses no edit.
   * Absent: records are edited (or the stored page does not say).
   */
  readonly immutable?: string;
  readonly notes?: readonly string[];
}

const DOC = 'https://developer.salesforce.com/docs/marketing/pardot/guide/';

/** Filters on an Integer field F, as BAL and the visit page write them (F alone: equality). */
const intFilters = (f: string): string[] => [f, `${f}GreaterThan`, `${f}GreaterThanOrEqualTo`, `${f}LessThan`, `${f}LessThanOrEqualTo`];
/** Filters on a DateTime field F (F alone: equality; After/Before strict, OrEqualTo inclusive). */
const dateFilters = (f: string): string[] => [f, `${f}After`, `${f}AfterOrEqualTo`, `${f}Before`, `${f}BeforeOrEqualTo`];
const ID = intFilters('id');

/** id, createdAt, updatedAt, createdById, updatedById: the audit fields most objects carry. */
const AUDIT: Record<string, V5FieldType> = { id: 'Integer', createdAt: 'DateTime', updatedAt: 'DateTime', createdById: 'Integer', updatedById: 'Integer' };
const TAG_LANGUAGE = ['pml', 'hml', 'undetermined'];
const EMAIL_TYPE = ['html', 'text', 'htmlAndText'];
/**
 * Sub-fields of Sender/Reply To Options the fake accepts: CDATA's email-template insert example
 * (type, address, name) and the ones Airbyte's source-pardot asks of the live API on emails and
 * list emails (userId, prospectCustomFieldId, accountCustomFieldId). The pages' option tables are
 * beyond the stored excerpts.
 */
const OPTION_SUBFIELDS = ['type', 'address', 'name', 'userId', 'prospectCustomFieldId', 'accountCustomFieldId'];

const NO_SORT_PAGE = 'the stored excerpt stops before "Sortable Fields"; the fake takes id and each date field it filters on';
const ID_FILTERS = 'id filters: seen verbatim on visit-v5 (id, idList, idGreaterThan ...) and in BAL for most objects; assumed for this object';

const entries: V5ObjectDef[] = [
  {
    object: 'account',
    doc: `${DOC}account-v5.html`,
    ability: 'Admin > Account > Edit Settings',
    singleton: true,
    fields: {
      id: 'Integer', company: 'String', level: 'String', website: 'String', pluginCampaignId: 'Integer',
      addressOne: 'String', addressTwo: 'String', city: 'String', state: 'String', zip: 'String', territory: 'String',
      country: 'String', phone: 'String', fax: 'String', adminId: 'Integer', createdAt: 'DateTime', updatedAt: 'DateTime',
      maximumDailyApiCalls: 'Integer', apiCallsUsed: 'Integer', createdById: 'Integer', updatedById: 'Integer',
    },
    sortable: [],
    filters: [],
    deleted: false,
    notes: ['PAGE: Read only (GET /api/v5/objects/account), no Query. Served by server.ts (handleAccount), not by query.ts.'],
  },
  {
    object: 'campaigns',
    doc: `${DOC}campaign-v5.html`,
    ability: 'Marketing > Other > Campaigns > View',
    fields: { ...AUDIT, name: 'String', isDeleted: 'Boolean', folderId: 'Integer', cost: 'Float', parentCampaignId: 'Integer', salesforceId: 'String' },
    sortable: ['id', 'createdAt', 'updatedAt'],
    filters: [...ID, 'name', ...dateFilters('createdAt'), ...dateFilters('updatedAt')],
    deleted: true,
    inferred: { sortable: `${NO_SORT_PAGE}; Airbyte's source-pardot sends orderBy=updatedAt ASC to the live API` },
    notes: ['PAGE + SCRAPE: fields. BAL: filters id*, name, createdAt*, updatedAt*.'],
  },
  {
    object: 'custom-fields',
    doc: `${DOC}custom-field-v5.html`,
    ability: 'Prospect > Prospects > Configure Fields',
    fields: {
      ...AUDIT, name: 'String', fieldId: 'String', type: 'String', isRecordMultipleResponses: 'Boolean', salesforceId: 'String',
      isUseValues: 'Boolean', isRequired: 'Boolean', isAnalyticsSynced: 'Boolean', apiFieldId: 'String',
    },
    notQueryable: ['valuesPrefill'],
    sortable: ['id', 'createdAt', 'updatedAt'],
    filters: [...ID, ...dateFilters('createdAt'), ...dateFilters('updatedAt')],
    deleted: false,
    enums: { type: ['Text', 'Radio Button', 'Checkbox', 'Dropdown', 'Textarea', 'Multi-Select', 'Hidden', 'Number', 'Date', 'CRM User'] },
    inferred: {
      'field:updatedAt': 'the stored excerpt breaks off at "upd…" after createdAt',
      'field:createdById': 'the read-only table is cut after updatedAt; POSTHOG requests createdById/updatedById',
      'field:updatedById': 'as createdById',
      'field:apiFieldId': 'not on the page: a real answer quoted in pardot/api-docs issue 235 (wire-contract.md)',
      sortable: NO_SORT_PAGE,
    },
    notes: ['PAGE: valuesPrefill is "Write-Only field on create operation" (POSTHOG: a query naming it is refused). BAL: filters id*, createdAt*, updatedAt*.'],
  },
  {
    object: 'custom-redirects',
    doc: `${DOC}custom-redirect-v5.html`,
    ability: 'Marketing > Content > Custom Redirects > View',
    fields: {
      ...AUDIT, name: 'String', campaignId: 'Integer', destinationUrl: 'String', folderId: 'Integer', trackerDomainId: 'Integer',
      vanityUrlPath: 'String', bitlyIsPersonalized: 'Boolean', bitlyShortUrl: 'String', isDeleted: 'Boolean', salesforceId: 'String',
      trackedUrl: 'String', url: 'String', vanityUrl: 'String',
    },
    sortable: ['id'],
    filters: [...ID],
    deleted: true,
    inferred: { sortable: NO_SORT_PAGE },
    notes: [
      'PAGE: required name, campaignId, destinationUrl; optional folderId, trackerDomainId, vanityUrlPath (the excerpt stops there). SCRAPE: read-only fields.',
      'BAL: filters id* only; AMP: updatedAt is filtered client-side (no server filter).',
    ],
  },
  {
    object: 'dynamic-contents',
    doc: `${DOC}dynamic-content-v5.html`,
    ability: 'Content > Dynamic Content > View',
    fields: {
      ...AUDIT, name: 'String', basedOnProspectApiFieldId: 'String', baseContent: 'String', folderId: 'Integer', trackerDomainId: 'Integer',
      embedCode: 'String', embedUrl: 'String', basedOn: 'Enum', tagReplacementLanguage: 'Enum', isDeleted: 'Boolean',
    },
    sortable: ['id', 'updatedAt'],
    filters: [...ID, ...dateFilters('updatedAt')],
    deleted: true,
    enums: { basedOn: ['default', 'custom', 'grade', 'score'], tagReplacementLanguage: TAG_LANGUAGE },
    inferred: { filters: `${ID_FILTERS}; AMP names updatedAtAfterOrEqualTo/BeforeOrEqualTo (dynamic-content-v5.html#dynamic-content-query)`, sortable: NO_SORT_PAGE },
  },
  {
    object: 'dynamic-content-variations',
    doc: `${DOC}dynamic-content-variation.html`,
    ability: null,
    fields: { id: 'Integer', dynamicContentId: 'Integer', comparison: 'String', operator: 'Enum', value1: 'String', value2: 'String', content: 'String' },
    sortable: ['id'],
    filters: [...ID, 'dynamicContentId'],
    deleted: false,
    enums: { operator: ['is', 'contains', 'between', 'less-than', 'less-than-or-equal', 'greater-than', 'greater-than-or-equal'] },
    inferred: { filters: `${ID_FILTERS}; dynamicContentId (equality): variations belong to one dynamic content`, sortable: NO_SORT_PAGE },
    notes: ['SCRAPE: fields. The stored excerpt shows neither the ability nor the filters.'],
  },
  {
    object: 'emails',
    doc: `${DOC}email-v5.html`,
    ability: 'Marketing > Emails > Emails > View',
    fields: {
      id: 'Integer', name: 'String', campaignId: 'Integer', prospectId: 'Integer', subject: 'String', isOperational: 'Boolean',
      emailTemplateId: 'Integer', trackerDomainId: 'Integer', folderId: 'Integer', clientType: 'String', createdById: 'Integer',
      listId: 'Integer', listEmailId: 'Integer', sentAt: 'DateTime', salesforceCmsId: 'String', type: 'Enum',
    },
    collections: { senderOptions: OPTION_SUBFIELDS, replyToOptions: OPTION_SUBFIELDS },
    notQueryable: ['textMessage', 'htmlMessage', 'scheduledTime'],
    sortable: ['id', 'sentAt'],
    filters: [...ID, ...dateFilters('sentAt')],
    deleted: false,
    enums: { type: EMAIL_TYPE },
    inferred: {
      filters: `${ID_FILTERS}; AMP names sentAtAfterOrEqualTo/BeforeOrEqualTo (email-v5.html)`,
      sortable: NO_SORT_PAGE,
      'field:senderOptions': 'sub-fields type/address/name: CDATA; userId/prospectCustomFieldId/accountCustomFieldId: Airbyte asks them of the live API; the page\'s Sender Options table is beyond the excerpt',
    },
    immutable: 'PAGE: Read, Query and Create (send) only, no Update: a sent email stays as sent (sentAt never moves)',
    notes: [
      'PAGE: textMessage/htmlMessage "isn\'t queryable"; scheduledTime "Write-Only field on create operation"; senderOptions "Sender Options[]", replyToOptions "Reply To Options[]" (collections).',
      'No isDeleted and no createdAt/updatedAt on the page: no deleted parameter.',
    ],
  },
  {
    object: 'email-templates',
    doc: `${DOC}email-template-v5.html`,
    ability: 'Marketing > Emails > Email Templates > View',
    fields: {
      ...AUDIT, name: 'String', subject: 'String', isOneToOneEmail: 'Boolean', isAutoResponderEmail: 'Boolean', isDripEmail: 'Boolean',
      isListEmail: 'Boolean', trackerDomainId: 'Integer', folderId: 'Integer', type: 'Enum', campaignId: 'Integer', isDeleted: 'Boolean',
      tagReplacementLanguage: 'Enum',
    },
    collections: { senderOptions: OPTION_SUBFIELDS, replyToOptions: OPTION_SUBFIELDS },
    notQueryable: ['textMessage', 'htmlMessage'],
    sortable: ['id', 'createdAt', 'updatedAt'],
    filters: [...ID, 'isOneToOneEmail', ...dateFilters('createdAt'), ...dateFilters('updatedAt')],
    deleted: true,
    enums: { type: EMAIL_TYPE, tagReplacementLanguage: TAG_LANGUAGE },
    inferred: {
      filters: 'CDATA runs Id, IsOneToOneEmail, IsDeleted, CreatedAt, UpdatedAt server-side; AMP names updatedAt (email-template-v5.html#email-template-query)',
      sortable: NO_SORT_PAGE,
      'field:replyToOptions': 'the optional-field table is beyond the excerpt; emails and list-emails pages have it (a collection either way)',
    },
    notes: ['PAGE spells isAutoResponderEmail; ERRORS code 220 writes isAutoresponderEmail.'],
  },
  {
    object: 'engagement-studio-programs',
    doc: `${DOC}engagement-studio-program-v5.html`,
    ability: null,
    fields: {
      ...AUDIT, name: 'String', status: 'Enum', description: 'String', isDeleted: 'Boolean', salesforceId: 'String', folderId: 'Integer',
      scheduleCreatedById: 'Integer', recipientListIds: 'Array', suppressionListIds: 'Array',
      businessHours: 'Object', schedule: 'Object', prospectsMultipleEntry: 'Object',
    },
    sortable: ['id'],
    filters: [...ID],
    deleted: true,
    enums: { status: ['draft', 'running', 'paused', 'starting', 'scheduled'] },
    inferred: {
      'field:name': 'editable-field tables are beyond the excerpt; CLIENT and POSTHOG snippets request name',
      'field:folderId': 'as name',
      'field:businessHours': 'object-typed editable field (the project brief, from the page)',
      'field:schedule': 'as businessHours',
      'field:prospectsMultipleEntry': 'as businessHours',
      filters: `${ID_FILTERS}; AMP filters updatedAt client-side for this object (no server date filter)`,
      sortable: NO_SORT_PAGE,
    },
    notes: ['SCRAPE: read-only fields (recipientListIds/suppressionListIds are Array of ids, not collections).'],
  },
  {
    object: 'files',
    doc: `${DOC}file-v5.html`,
    ability: null,
    fields: {
      ...AUDIT, name: 'String', folderId: 'Integer', campaignId: 'Integer', vanityUrlPath: 'String', trackerDomainId: 'Integer',
      salesforceId: 'String', url: 'String', size: 'Integer', bitlyIsPersonalized: 'Boolean', bitlyShortUrl: 'String', vanityUrl: 'String',
      isTracked: 'Boolean', salesforceCmsId: 'String',
    },
    sortable: ['id'],
    filters: [...ID],
    deleted: false,
    inferred: {
      'field:name': 'editable-field tables are beyond the excerpt; CLIENT requests name, folderId, campaignId, vanityUrlPath, trackerDomainId, salesforceCmsId',
      'field:folderId': 'as name',
      'field:campaignId': 'as name',
      'field:vanityUrlPath': 'as name',
      'field:trackerDomainId': 'as name',
      'field:salesforceCmsId': 'as name',
      filters: `${ID_FILTERS}; BAL (2022) lists no filter for files and AMP filters them client-side`,
      sortable: NO_SORT_PAGE,
    },
    notes: ['SCRAPE: read-only fields; no isDeleted: no deleted parameter.'],
  },
  {
    object: 'folders',
    doc: `${DOC}folder-v5.html`,
    ability: null,
    fields: { ...AUDIT, name: 'String', parentFolderId: 'Integer', path: 'String', usePermissions: 'Boolean' },
    sortable: ['id'],
    filters: [...ID, ...intFilters('parentFolderId'), 'parentFolderIdIsNull', 'parentFolderIdIsNotNull'],
    deleted: false,
    inferred: { sortable: NO_SORT_PAGE },
    notes: ['SCRAPE: fields. BAL: filters id*, parentFolderId*, parentFolderIdIsNull/IsNotNull.'],
  },
  {
    object: 'folder-contents',
    doc: `${DOC}folder-contents-v5.html`,
    ability: null,
    fields: { ...AUDIT, folderId: 'Integer', folderRef: 'String', objectType: 'Enum', objectId: 'Integer', objectName: 'String', objectRef: 'String' },
    sortable: ['id'],
    filters: [...ID],
    deleted: false,
    enums: { objectType: ['campaign', 'custom-redirect', 'dynamic-content', 'email', 'email-template', 'file', 'form', 'form-handler', 'landing-page', 'layout-template', 'list'] },
    inferred: { filters: `${ID_FILTERS}; AMP filters updatedAt client-side for this object`, sortable: NO_SORT_PAGE, 'field:objectType': 'enum values assumed (the scrape shows none)' },
    notes: ['SCRAPE: fields.'],
  },
  {
    object: 'forms',
    doc: `${DOC}form-v5.html`,
    ability: 'Marketing > Forms > Forms > View',
    fields: {
      ...AUDIT, name: 'String', campaignId: 'Integer', layoutTemplateId: 'Integer', folderId: 'Integer', trackerDomainId: 'Integer',
      submitButtonText: 'String', beforeFormContent: 'String', afterFormContent: 'String', thankYouContent: 'String', thankYouCode: 'String',
      isAlwaysDisplay: 'Boolean', redirectLocation: 'String', fontSize: 'String', fontFamily: 'String', fontColor: 'String',
      labelAlignment: 'String', radioAlignment: 'String', checkboxAlignment: 'String', embedCode: 'String', isDeleted: 'Boolean',
      isUseRedirectLocation: 'Boolean', salesforceCmsId: 'String', salesforceId: 'String',
      isCookieless: 'Boolean', isCaptchaEnabled: 'Boolean', showNotProspect: 'Boolean', url: 'String',
    },
    sortable: [],
    filters: [...ID],
    deleted: true,
    inferred: {
      'field:isCookieless': 'the optional-field table is cut after fontFamily/checkboxAlignment; POSTHOG requests isCookieless, isCaptchaEnabled, showNotProspect, url',
      'field:isCaptchaEnabled': 'as isCookieless',
      'field:showNotProspect': 'as isCookieless',
      'field:url': 'as isCookieless (CLIENT requests url too)',
      sortable: 'POSTHOG: "Forms document no orderBy or datetime filters": no orderBy',
    },
    notes: ['PAGE: editable fields up to fontFamily (two page versions), developer.pardot.com v5 page: labelAlignment, radioAlignment. SCRAPE: read-only fields. BAL: filters id* only.'],
  },
  {
    object: 'form-fields',
    doc: `${DOC}form-field-v5.html`,
    ability: 'Marketing > Forms > Forms > View',
    fields: {
      ...AUDIT, formId: 'Integer', prospectApiFieldId: 'String', type: 'Enum', dataFormat: 'Enum', label: 'String', description: 'String',
      errorMessage: 'String', cssClasses: 'String', isRequired: 'Boolean', isAlwaysDisplay: 'Boolean', isMaintainInitialValue: 'Boolean',
      isDoNotPrefill: 'Boolean', sortOrder: 'Integer', hasDependents: 'Boolean', hasProgressives: 'Boolean', hasValues: 'Boolean',
    },
    sortable: ['id', 'createdAt'],
    filters: [...ID, ...dateFilters('createdAt')],
    deleted: false,
    enums: { type: ['Text', 'Textarea', 'Dropdown', 'Checkbox', 'Radio Button', 'Hidden'], dataFormat: ['text', 'number', 'email', 'email with valid mail server'] },
    inferred: {
      'field:errorMessage': 'the page shows formId, prospectApiFieldId, type, dataFormat, label, description before the excerpt ends; CLIENT requests errorMessage, cssClasses, isRequired, isAlwaysDisplay, isMaintainInitialValue, isDoNotPrefill',
      'field:cssClasses': 'as errorMessage', 'field:isRequired': 'as errorMessage', 'field:isAlwaysDisplay': 'as errorMessage',
      'field:isMaintainInitialValue': 'as errorMessage', 'field:isDoNotPrefill': 'as errorMessage',
      filters: `${ID_FILTERS}; AMP names createdAtAfterOrEqualTo/BeforeOrEqualTo (form-field-v5.html)`,
      sortable: NO_SORT_PAGE,
    },
  },
  {
    object: 'form-handlers',
    doc: `${DOC}form-handler-v5.html`,
    ability: 'Forms > Form Handlers > View',
    fields: {
      id: 'Integer', createdAt: 'DateTime', createdById: 'Integer', updatedById: 'Integer', embedCode: 'String', isDeleted: 'Boolean',
      salesforceId: 'String', name: 'String', folderId: 'Integer', campaignId: 'Integer', trackerDomainId: 'Integer',
      isDataForwarded: 'Boolean', successLocation: 'String', errorLocation: 'String', isAlwaysEmail: 'Boolean', isCookieless: 'Boolean',
    },
    sortable: ['id', 'createdAt'],
    filters: [...ID, ...dateFilters('createdAt')],
    deleted: true,
    inferred: {
      filters: `${ID_FILTERS}; AMP names createdAtAfterOrEqualTo/BeforeOrEqualTo (form-handler-v5.html)`,
      sortable: NO_SORT_PAGE,
    },
    notes: ['PAGE: create fields name, folderId, campaignId, trackerDomainId, isDataForwarded, successLocation, errorLocation, isAlwaysEmail, isCookieless; read-only id, salesforceId, embedCode, createdAt, createdById, isDeleted, updatedById (no updatedAt).'],
  },
  {
    object: 'form-handler-fields',
    doc: `${DOC}form-handler-field-v5.html`,
    ability: 'Forms > Form Handlers > View',
    fields: {
      id: 'Integer', createdAt: 'DateTime', createdById: 'Integer', name: 'String', formHandlerId: 'Integer', dataFormat: 'Enum',
      prospectApiFieldId: 'String', isMaintainInitialValue: 'Boolean', isRequired: 'Boolean', errorMessage: 'String',
    },
    sortable: ['id', 'createdAt'],
    filters: [...ID, ...dateFilters('createdAt')],
    deleted: false,
    enums: { dataFormat: ['text', 'number', 'email', 'email not from isps and free email providers', 'email with valid mail server'] },
    inferred: {
      'field:isRequired': 'the optional table is cut after isMaintainInitialValue; CDATA lists IsRequired and ErrorMessage as columns',
      'field:errorMessage': 'as isRequired',
      filters: `${ID_FILTERS}; AMP names createdAtAfterOrEqualTo/BeforeOrEqualTo (form-handler-field-v5.html)`,
      sortable: NO_SORT_PAGE,
    },
    notes: ['PAGE: create fields name, formHandlerId, dataFormat, prospectApiFieldId; optional isMaintainInitialValue ... SCRAPE: read-only id, createdAt, createdById.'],
  },
  {
    object: 'landing-pages',
    doc: `${DOC}landing-page-v5.html`,
    ability: 'Landing Pages > Landing Page > View',
    fields: {
      ...AUDIT, bitlyIsPersonalized: 'Boolean', bitlyShortUrl: 'String', isDeleted: 'Boolean', isUseRedirectLocation: 'Boolean',
      layoutCss: 'String', layoutCssGenerated: 'String', layoutTableBorder: 'Integer', layoutType: 'Enum', salesforceCmsId: 'String',
      salesforceId: 'String', url: 'String', vanityUrl: 'String',
      name: 'String', campaignId: 'Integer', folderId: 'Integer', formId: 'Integer', layoutTemplateId: 'Integer', title: 'String',
      description: 'String', isDoNotIndex: 'Boolean', vanityUrlPath: 'String', redirectLocation: 'String', trackerDomainId: 'Integer',
      archiveDate: 'Date',
    },
    sortable: ['id', 'updatedAt'],
    filters: [...ID, ...dateFilters('updatedAt')],
    deleted: true,
    enums: { layoutType: ['Layout Template', 'Landing Page Builder', 'Legacy Page Builder', 'Salesforce Builder'] },
    inferred: {
      'field:name': 'editable-field tables are beyond the excerpt; CLIENT requests name, campaignId, folderId, formId, layoutTemplateId, title, description, isDoNotIndex, vanityUrlPath, redirectLocation, trackerDomainId, archiveDate',
      'field:campaignId': 'as name', 'field:folderId': 'as name', 'field:formId': 'as name', 'field:layoutTemplateId': 'as name',
      'field:title': 'as name', 'field:description': 'as name', 'field:isDoNotIndex': 'as name', 'field:vanityUrlPath': 'as name',
      'field:redirectLocation': 'as name', 'field:trackerDomainId': 'as name', 'field:archiveDate': 'as name (type Date assumed)',
      filters: `${ID_FILTERS}; AMP names updatedAtAfterOrEqualTo/BeforeOrEqualTo (landing-page-v5.html)`,
      sortable: NO_SORT_PAGE,
    },
    notes: ['SCRAPE: read-only fields.'],
  },
  {
    object: 'layout-templates',
    doc: `${DOC}layout-template-v5.html`,
    ability: 'Marketing > Landing Pages > Layout Templates > View',
    fields: {
      ...AUDIT, name: 'String', layoutContent: 'String', formContent: 'String', siteSearchContent: 'String', isIncludeDefaultCss: 'Boolean',
      folderId: 'Integer', isDeleted: 'Boolean',
    },
    sortable: ['id'],
    filters: [...ID],
    deleted: true,
    inferred: { sortable: NO_SORT_PAGE },
    notes: ['PAGE: all three field tables. BAL: filters id* only; AMP filters updatedAt client-side.'],
  },
  {
    object: 'lifecycle-histories',
    doc: `${DOC}lifecycle-history-v5.html`,
    ability: null,
    fields: { id: 'Integer', prospectId: 'Integer', previousStageId: 'Integer', nextStageId: 'Integer', secondsElapsed: 'Integer', createdAt: 'DateTime' },
    sortable: ['id', 'createdAt'],
    filters: [...ID, ...dateFilters('createdAt')],
    deleted: false,
    inferred: { filters: `${ID_FILTERS}; AMP names createdAtAfterOrEqualTo/BeforeOrEqualTo (lifecycle-history-v5.html)`, sortable: NO_SORT_PAGE },
    immutable: 'PAGE: Read and Query only (a stage change, recorded once)',
    notes: ['SCRAPE: fields (no updatedAt).'],
  },
  {
    object: 'lifecycle-stages',
    doc: `${DOC}lifecycle-stage-v5.html`,
    ability: null,
    fields: { id: 'Integer', name: 'String', isDeleted: 'Boolean', createdAt: 'DateTime', updatedAt: 'DateTime', isLocked: 'Boolean', position: 'Integer', matchType: 'Enum' },
    sortable: ['id', 'updatedAt'],
    filters: [...ID, ...dateFilters('updatedAt')],
    deleted: true,
    enums: { matchType: ['all', 'any'] },
    inferred: { filters: `${ID_FILTERS}; AMP names updatedAtAfterOrEqualTo/BeforeOrEqualTo (lifecycle-stage-v5.html)`, sortable: NO_SORT_PAGE },
    notes: ['SCRAPE: fields.'],
  },
  {
    object: 'lists',
    doc: `${DOC}list-v5.html`,
    ability: 'Marketing > Segmentation > Lists > View',
    // The page types description as Boolean next to "Description of the list object": a slip on
    // the page (a description is text); the fake serves text and says so in `inferred`.
    fields: {
      ...AUDIT, name: 'String', description: 'String', title: 'String', isPublic: 'Boolean', folderId: 'Integer', campaignId: 'Integer',
      isDeleted: 'Boolean', isDynamic: 'Boolean',
    },
    sortable: ['id', 'createdAt', 'updatedAt'],
    filters: [...ID, 'name', ...dateFilters('createdAt'), ...dateFilters('updatedAt')],
    deleted: true,
    inferred: {
      sortable: `${NO_SORT_PAGE}; Airbyte's source-pardot sends orderBy=updatedAt ASC to the live API`,
      'field:description': 'the page types it Boolean ("Description of the list object"); served as String',
    },
    notes: ['PAGE: all three field tables. BAL: filters id*, name, createdAt*, updatedAt*.'],
  },
  {
    object: 'list-emails',
    doc: `${DOC}list-email-v5.html`,
    ability: 'Marketing > Emails > Emails > View',
    fields: {
      ...AUDIT, name: 'String', subject: 'String', campaignId: 'Integer', isPaused: 'Boolean', isSent: 'Boolean', isDeleted: 'Boolean',
      clientType: 'String', sentAt: 'DateTime', operationalEmail: 'Boolean', isOperational: 'Boolean', emailTemplateId: 'Integer',
      trackerDomainId: 'Integer', type: 'Enum', folderId: 'Integer',
    },
    collections: { senderOptions: OPTION_SUBFIELDS, replyToOptions: OPTION_SUBFIELDS, recipientLists: [], suppressionLists: [] },
    notQueryable: ['textMessage', 'htmlMessage', 'scheduledTime', 'recipientListIds', 'suppressionListIds'],
    sortable: [],
    filters: [...ID, ...dateFilters('createdAt'), ...dateFilters('updatedAt'), ...dateFilters('sentAt')],
    deleted: true,
    enums: { type: EMAIL_TYPE },
    inferred: {
      'field:folderId': 'not in the stored read-only table; CLIENT and POSTHOG request it',
      filters: `${ID_FILTERS}; POSTHOG: "List emails filter on createdAt/updatedAt/sentAt"; AMP names updatedAt`,
      sortable: 'POSTHOG: list emails "advertise no orderBy": no orderBy',
    },
    notes: [
      'PAGE: textMessage/htmlMessage "isn\'t queryable"; recipientListIds, suppressionListIds, scheduledTime write-only on create; recipientLists/suppressionLists "Recipient Lists[]"/"Suppression Lists[]" and senderOptions/replyToOptions are collections.',
      'PAGE (newer version): isOperational is an editable field; operationalEmail read-only. SCRAPE: type.',
    ],
  },
  {
    object: 'opportunities',
    doc: `${DOC}opportunity-v5.html`,
    ability: null,
    fields: {
      ...AUDIT, name: 'String', value: 'Float', probability: 'Integer', type: 'String', stage: 'String', status: 'String',
      closedAt: 'DateTime', campaignId: 'Integer', salesforceId: 'String',
    },
    sortable: ['id', 'updatedAt'],
    filters: [...ID, ...dateFilters('updatedAt')],
    deleted: false,
    inferred: { filters: `${ID_FILTERS}; AMP names updatedAtAfterOrEqualTo/BeforeOrEqualTo (opportunity-v5.html)`, sortable: NO_SORT_PAGE },
    notes: ['SCRAPE: fields; no isDeleted: no deleted parameter.'],
  },
  {
    object: 'tags',
    doc: `${DOC}tag-v5.html`,
    ability: null,
    fields: { ...AUDIT, name: 'String', objectCount: 'Integer' },
    sortable: ['id', 'updatedAt'],
    filters: [...ID, ...dateFilters('updatedAt')],
    deleted: false,
    inferred: {
      'field:name': 'the editable table is beyond the excerpt; CLIENT requests name',
      filters: `${ID_FILTERS}; AMP names updatedAtAfterOrEqualTo/BeforeOrEqualTo (tag-v5.html)`,
      sortable: NO_SORT_PAGE,
    },
    notes: ['SCRAPE: read-only fields.'],
  },
  {
    object: 'tagged-objects',
    doc: `${DOC}tagged-object-v5.html`,
    ability: null,
    fields: { id: 'Integer', tagId: 'Integer', objectType: 'Enum', objectId: 'Integer', objectName: 'String', createdAt: 'DateTime', createdById: 'Integer' },
    sortable: ['id', 'createdAt'],
    filters: [...ID, ...dateFilters('createdAt')],
    deleted: false,
    enums: {
      objectType: ['campaign', 'custom-field', 'custom-redirect', 'dynamic-content', 'email', 'email-template', 'file', 'form-field', 'form-handler', 'form', 'landing-page', 'layout-template', 'list', 'prospect', 'user'],
    },
    inferred: { filters: `${ID_FILTERS}; AMP names createdAtAfterOrEqualTo/BeforeOrEqualTo (tagged-object-v5.html)`, sortable: NO_SORT_PAGE },
    notes: ['SCRAPE: fields.'],
  },
  {
    object: 'tracker-domains',
    doc: `${DOC}tracker-domain-v5.html`,
    ability: 'Marketing > Content > Files > View OR Custom Redirects > View OR Forms > View OR Form Handlers > View OR Landing Pages > View',
    fields: {
      ...AUDIT, domain: 'String', isPrimary: 'Boolean', isDeleted: 'Boolean', defaultCampaignId: 'Integer', httpsStatus: 'String',
      sslStatus: 'String', sslStatusDetails: 'String', sslRequestedById: 'Integer', validationStatus: 'String', validatedAt: 'DateTime',
      vanityUrlStatus: 'String', trackingCode: 'String',
    },
    sortable: ['id'],
    filters: [...ID],
    deleted: true,
    inferred: { sortable: NO_SORT_PAGE },
    notes: ['SCRAPE + developer.pardot.com v5 page: fields and ability. BAL: filters id* only.'],
  },
  {
    object: 'users',
    doc: `${DOC}user-v5.html`,
    ability: null,
    fields: {
      ...AUDIT, email: 'String', firstName: 'String', lastName: 'String', username: 'String', jobTitle: 'String', role: 'String',
      roleName: 'String', salesforceId: 'String', isDeleted: 'Boolean', tagReplacementLanguage: 'Enum',
    },
    sortable: ['id', 'createdAt', 'updatedAt'],
    filters: [...ID, 'email', ...dateFilters('createdAt'), ...dateFilters('updatedAt')],
    deleted: true,
    enums: { tagReplacementLanguage: TAG_LANGUAGE },
    inferred: {
      'field:lastName': 'the User page omits it; Pardot\'s own object definition has it (wire-contract.md)',
      sortable: `${NO_SORT_PAGE}; Airbyte's source-pardot sends orderBy=updatedAt ASC to the live API`,
    },
    notes: ['SCRAPE: fields. BAL: filters id*, email, createdAt*, updatedAt*.'],
  },
  {
    object: 'visits',
    doc: `${DOC}visit-v5.html`,
    ability: null,
    fields: {
      id: 'Integer', createdAt: 'DateTime', updatedAt: 'DateTime', visitorId: 'Integer', prospectId: 'Integer',
      visitorPageViewCount: 'Integer', firstVisitorPageViewAt: 'DateTime', lastVisitorPageViewAt: 'DateTime', durationInSeconds: 'Integer',
      campaignParameter: 'String', mediumParameter: 'String', sourceParameter: 'String', contentParameter: 'String', termParameter: 'String',
    },
    // Sortable Fields id, prospectId, createdAt, updatedAt: read on visit-v5.html by the audit of
    // the product's table (src/v5-objects.json verification.sortable "sf-page"); not in this
    // table's stored excerpt, which stops before the section.
    sortable: ['id', 'prospectId', 'createdAt', 'updatedAt'],
    filters: [...ID, 'idList', ...dateFilters('createdAt'), ...intFilters('visitorId'), ...intFilters('prospectId'), ...dateFilters('updatedAt')],
    deleted: false,
    inferred: { sortable: 'the stored excerpt stops before "Sortable Fields"; the audited page (visit-v5.html) lists id, prospectId, createdAt, updatedAt' },
    notes: ['PAGE: id, idList, idGreaterThan ... verbatim. SCRAPE: fields. BAL: filters createdAt*, visitorId*, prospectId*, updatedAt*.'],
  },
  {
    object: 'visitor-page-views',
    doc: `${DOC}visitor-page-view-v5.html`,
    ability: null,
    fields: {
      id: 'Integer', url: 'String', title: 'String', visitorId: 'Integer', campaignId: 'Integer', visitId: 'Integer',
      durationInSeconds: 'Integer', salesforceId: 'String', createdAt: 'DateTime',
    },
    sortable: ['id', 'createdAt'],
    filters: [...ID, ...intFilters('visitorId'), ...intFilters('visitId'), ...dateFilters('createdAt'), ...dateFilters('updatedAt')],
    deleted: false,
    inferred: { sortable: NO_SORT_PAGE },
    immutable: 'PAGE: Read and Query only (a page view, recorded once); its field table has createdAt and no updatedAt',
    notes: ['SCRAPE: fields (no updatedAt field, yet BAL lists updatedAt* filters: kept; they match no record).', 'BAL: filters id*, visitorId*, visitId*, createdAt*, updatedAt*.'],
  },
];

/** The fake's v5 objects by URL name. */
export const V5_OBJECTS: Readonly<Record<string, V5ObjectDef>> = Object.fromEntries(entries.map((e) => [e.object, e]));

export function v5Object(object: string): V5ObjectDef | undefined {
  return Object.prototype.hasOwnProperty.call(V5_OBJECTS, object) ? V5_OBJECTS[object] : undefined;
}

/**
 * Filter parameter names Pardot compares with a value, by suffix (longest first). A parameter
 * that is a field's own name is an equality test; `idList` is a comma-separated id list.
 */
export const FILTER_SUFFIXES = [
  'GreaterThanOrEqualTo',
  'LessThanOrEqualTo',
  'AfterOrEqualTo',
  'BeforeOrEqualTo',
  'GreaterThan',
  'LessThan',
  'IsNotNull',
  'IsNull',
  'After',
  'Before',
  'List',
] as const;
export type FilterSuffix = (typeof FILTER_SUFFIXES)[number] | '';

/** Splits a filter parameter into the field it filters and its comparison (`''`: equality). */
export function filterField(def: Pick<V5ObjectDef, 'fields' | 'filters'>, param: string): { field: string; op: FilterSuffix } | undefined {
  if (param in def.fields) return { field: param, op: '' };
  for (const s of FILTER_SUFFIXES) {
    if (param.endsWith(s) && param.length > s.length) {
      const field = param.slice(0, -s.length);
      if (field in def.fields || def.filters.includes(param)) return { field, op: s };
    }
  }
  return undefined;
}
