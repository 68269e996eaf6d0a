// The fake Pardot's own field tables: what a business unit's Export API accepts in `fields` and
// writes as CSV columns, per object. Transcribed from the seed document
// (../../../shared/seed/pardot-export-api.txt, "Procedures" > object > "Fields") and, where that
// section only points to "the <object> fields that are available", from the v5 object page it
// points to (Salesforce "Object Field References", developer.salesforce.com/docs/marketing/pardot/
// guide/<object>-v5). This table is the fake's data, never read from the product (src/, schemas/):
// test/fake-vs-product-export.test.ts compares the two and names each disagreement.
// The order is the default CSV column order when an export names no `fields`.

/**
 * Types as the pages give them. The Export API writes DateTime cells `YYYY-MM-DD HH:mm:ss` in the
 * export creator's zone (seed "CSV Format").
 */
export type FieldType = 'Integer' | 'String' | 'Boolean' | 'DateTime';

export interface FieldDef {
  readonly name: string;
  readonly type: FieldType;
  /** false: the Export API does not return this field (asking for it is error 180). */
  readonly exportable: boolean;
}

export const OBJECT_NAMES = ['prospect', 'visitor', 'visitorActivity', 'listMembership', 'prospectAccount', 'externalActivity'] as const;
export type ObjectName = (typeof OBJECT_NAMES)[number];

const f = (name: string, type: FieldType, exportable = true): FieldDef => ({ name, type, exportable });

export const FIELDS: Readonly<Record<ObjectName, readonly FieldDef[]>> = {
  prospect: [
  // Seed "Prospect" > "Fields": "See the prospect fields that are available" -> v5 Prospect object
  // page (prospect-v5). `notes` and `grade`: Pardot's export pages (v4 "Export" field list) leave
  // them out of the Export API; the seed is silent, so the fake keeps refusing them (code 180).
    f('id', 'Integer'),
    f('email', 'String'),
    f('firstName', 'String'),
    f('lastName', 'String'),
    f('salutation', 'String'),
    f('jobTitle', 'String'),
    f('company', 'String'),
    f('department', 'String'),
    f('website', 'String'),
    f('industry', 'String'),
    f('annualRevenue', 'String'),
    f('employees', 'String'),
    f('yearsInBusiness', 'String'),
    f('phone', 'String'),
    f('fax', 'String'),
    f('addressOne', 'String'),
    f('addressTwo', 'String'),
    f('city', 'String'),
    f('state', 'String'),
    f('zip', 'String'),
    f('country', 'String'),
    f('territory', 'String'),
    f('comments', 'String'),
    f('notes', 'String', false),
    f('grade', 'String', false),
    f('score', 'Integer'),
    f('source', 'String'),
    f('optedOut', 'Boolean'),
    f('isDoNotEmail', 'Boolean'),
    f('isDoNotCall', 'Boolean'),
    f('isEmailHardBounced', 'Boolean'),
    f('emailBouncedAt', 'DateTime'),
    f('emailBouncedReason', 'String'),
    f('isReviewed', 'Boolean'),
    f('isStarred', 'Boolean'),
    f('isDeleted', 'Boolean'),
    f('doNotSell', 'Boolean'),
    f('campaignId', 'Integer'),
    f('profileId', 'Integer'),
    f('prospectAccountId', 'Integer'),
    f('lifecycleStageId', 'Integer'),
    f('userId', 'Integer'),
    f('assignedToId', 'Integer'),
    f('lastActivityAt', 'DateTime'),
    f('recentInteraction', 'String'),
    f('firstActivityAt', 'DateTime'),
    f('firstAssignedAt', 'DateTime'),
    f('firstReferrerQuery', 'String'),
    f('firstReferrerType', 'String'),
    f('firstReferrerUrl', 'String'),
    f('sourceParameter', 'String'),
    f('campaignParameter', 'String'),
    f('mediumParameter', 'String'),
    f('contentParameter', 'String'),
    f('termParameter', 'String'),
    f('salesforceId', 'String'),
    f('salesforceLeadId', 'String'),
    f('salesforceContactId', 'String'),
    f('salesforceAccountId', 'String'),
    f('salesforceCampaignId', 'String'),
    f('salesforceOwnerId', 'String'),
    f('salesforceUrl', 'String'),
    f('salesforceLastSync', 'DateTime'),
    f('convertedAt', 'DateTime'),
    f('convertedFromObjectName', 'String'),
    f('convertedFromObjectType', 'String'),
    f('createdAt', 'DateTime'),
    f('updatedAt', 'DateTime'),
    f('createdById', 'Integer'),
    f('updatedById', 'Integer'),
  ],
  visitor: [
  // Seed "Visitor" > "Fields" -> v5 Visitor object page (visitor-v5).
    f('id', 'Integer'),
    f('campaignParameter', 'String'),
    f('contentParameter', 'String'),
    f('createdAt', 'DateTime'),
    f('doNotSell', 'Boolean'),
    f('hostname', 'String'),
    f('ipAddress', 'String'),
    f('isIdentified', 'Boolean'),
    f('mediumParameter', 'String'),
    f('pageViewCount', 'Integer'),
    f('prospectId', 'Integer'),
    f('campaignId', 'Integer'),
    f('sourceParameter', 'String'),
    f('termParameter', 'String'),
    f('updatedAt', 'DateTime'),
  ],
  visitorActivity: [
  // Seed "Visitor Activity" > "Fields" -> v5 Visitor Activity object page (visitor-activity-v5):
  // its table gives campaignId Integer, createdAt DateTime, customRedirectId Integer, details String...
    f('id', 'Integer'),
    f('campaignId', 'Integer'),
    f('createdAt', 'DateTime'),
    f('updatedAt', 'DateTime'),
    f('customRedirectId', 'Integer'),
    f('details', 'String'),
    f('emailId', 'Integer'),
    f('emailTemplateId', 'Integer'),
    f('fileId', 'Integer'),
    f('formHandlerId', 'Integer'),
    f('formId', 'Integer'),
    f('landingPageId', 'Integer'),
    f('listEmailId', 'Integer'),
    f('multivariateTestVariationId', 'Integer'),
    f('opportunityId', 'Integer'),
    f('paidSearchAdId', 'Integer'),
    f('prospectId', 'Integer'),
    f('siteSearchQueryId', 'Integer'),
    f('type', 'Integer'),
    f('typeName', 'String'),
    f('visitId', 'Integer'),
    f('visitorId', 'Integer'),
    f('visitorPageViewId', 'Integer'),
  ],
  listMembership: [
  // Seed "List Membership" > "Fields" -> v5 List Membership object page (list-membership-v5).
    f('id', 'Integer'),
    f('createdAt', 'DateTime'),
    f('updatedAt', 'DateTime'),
    f('listId', 'Integer'),
    f('prospectId', 'Integer'),
    f('optedOut', 'Boolean'),
    f('createdById', 'Integer'),
    f('updatedById', 'Integer'),
    f('isDeleted', 'Boolean'),
  ],
  prospectAccount: [
  // Seed "Prospect Account" > "Fields" -> v5 Prospect Account object page (prospect-account-v5).
    f('id', 'Integer'),
    f('name', 'String'),
    f('salesforceId', 'String'),
    f('isDeleted', 'Boolean'),
    f('annualRevenue', 'String'),
    f('billingAddressOne', 'String'),
    f('billingAddressTwo', 'String'),
    f('billingCity', 'String'),
    f('billingCountry', 'String'),
    f('billingState', 'String'),
    f('billingZip', 'String'),
    f('description', 'String'),
    f('employees', 'String'),
    f('fax', 'String'),
    f('industry', 'String'),
    f('number', 'String'),
    f('ownership', 'String'),
    f('phone', 'String'),
    f('rating', 'String'),
    f('shippingAddressOne', 'String'),
    f('shippingAddressTwo', 'String'),
    f('shippingCity', 'String'),
    f('shippingCountry', 'String'),
    f('shippingState', 'String'),
    f('shippingZip', 'String'),
    f('sic', 'String'),
    f('site', 'String'),
    f('tickerSymbol', 'String'),
    f('type', 'String'),
    f('website', 'String'),
    f('assignedToId', 'Integer'),
    f('createdAt', 'DateTime'),
    f('updatedAt', 'DateTime'),
    f('createdById', 'Integer'),
    f('updatedById', 'Integer'),
  ],
  externalActivity: [
  // Seed "External Activity" > "Fields": the seed's own table (Field / Type / Nullable /
  // Description), in its order; its second `value` row repeats the first and is left out.
  // activityDate is DateTime there: its "YYYY-MM-DD" note is about the value a caller sends (and
  // Pardot fills in the current date when none is sent), so the fake writes a time of day unless
  // the `activityDateCells: 'date'` option asks for date-only cells.
    f('id', 'Integer'),
    f('extension', 'String'),
    f('extensionSalesforceId', 'String'),
    f('type', 'String'),
    f('typeSalesforceId', 'String'),
    f('prospectId', 'Integer'),
    f('value', 'String'),
    f('activityDate', 'DateTime'),
    f('createdAt', 'DateTime'),
    f('createdById', 'Integer'),
  ],
};

/** Visitor activity type codes (v5 Visitor Activity object page, "Visitor Activity Types"). */
export const VISITOR_ACTIVITY_TYPES: Readonly<Record<number, string>> = {
  1: "Click",
  2: "View",
  3: "Error",
  4: "Success",
  5: "Session",
  6: "Sent",
  7: "Search",
  8: "New Opportunity",
  9: "Opportunity Won",
  10: "Opportunity Lost",
  11: "Open",
  12: "Unsubscribe Page",
  13: "Bounced",
  14: "Spam Complaint",
  15: "Email Preference Page",
  16: "Resubscribed",
  17: "Click (Third Party)",
  18: "Opportunity Reopened",
  19: "Opportunity Linked",
  20: "Visit",
  21: "Custom URL click",
  22: "Olark Chat",
  23: "Invited to Webinar",
  24: "Attended Webinar",
  25: "Registered for Webinar",
  26: "Social Post Click",
  27: "Video View",
  28: "Event Registered",
  29: "Event Checked In",
  30: "Video Conversion",
  31: "UserVoice Suggestion",
  32: "UserVoice Comment",
  33: "UserVoice Ticket",
  34: "Video Watched (>=75% watched)",
  35: "Indirect Unsubscribe Open",
  36: "Indirect Bounce",
  37: "Indirect Resubscribed",
  38: "Opportunity Unlinked",
};

/** Names the Export API returns for an object, in table order. */
export function exportableFields(object: ObjectName): string[] {
  return FIELDS[object].filter((d) => d.exportable).map((d) => d.name);
}

export function fieldDef(object: ObjectName, name: string): FieldDef | undefined {
  return FIELDS[object].find((d) => d.name === name);
}

export function isObjectName(v: unknown): v is ObjectName {
  return typeof v === 'string' && (OBJECT_NAMES as readonly string[]).includes(v);
}
