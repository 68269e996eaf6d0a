/** How each CSV type's cells are converted: the kind numbers both CSV paths (bytes.ts, encode.ts) switch on. */
import type { PardotType } from '../streams.js';

export const K_SKIP = 0;
export const K_STRING = 1;
export const K_INTEGER = 2;
export const K_BOOLEAN = 3;
export const K_DATETIME = 4;
export const K_DATE = 5;
export const K_NUMBER = 6;
export const K_MULTI = 7;

export const KIND: Readonly<Record<PardotType, number>> = {
  String: K_STRING,
  Integer: K_INTEGER,
  Boolean: K_BOOLEAN,
  DateTime: K_DATETIME,
  Date: K_DATE,
  Number: K_NUMBER,
  Multi: K_MULTI,
};
