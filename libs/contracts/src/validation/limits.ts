/** Size caps and formats shared by every contract. Changing one is a contract change: see README. */

/** Ids (eventId, userId, streamId, ...): 1-128 characters of a safe charset (no spaces, no quotes). */
export const SAFE_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
export const SAFE_ID_MAX_LENGTH = 128;
/** Category slugs: same charset, shorter. */
export const CATEGORY_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/;
/** ISO 4217 style currency code. */
export const CURRENCY_PATTERN = /^[A-Z]{3}$/;
/** BCP 47 style language tag: "en", "pt-BR", "zh-Hant". */
export const LANGUAGE_PATTERN = /^[a-z]{2,3}(-[A-Za-z0-9]{2,8}){0,3}$/;
export const LANGUAGE_MAX_LENGTH = 35;
/** Free text (titles, reasons): characters. */
export const TITLE_MAX_LENGTH = 200;
export const REASON_MAX_LENGTH = 200;
export const TAG_MAX_LENGTH = 40;
export const TAGS_MAX_COUNT = 20;
/** Streams listed in one rec.impression (one feed page). */
export const IMPRESSION_MAX_STREAMS = 100;
/** Platform-reported viewer counts above this are nonsense. */
export const VIEWER_COUNT_MAX = 100_000_000;

/** Default acceptance window for `occurredAt` relative to the consumer's clock (ms). */
export const DEFAULT_MAX_FUTURE_MS = 5 * 60_000;
export const DEFAULT_MAX_PAST_MS = 7 * 24 * 3_600_000;
/** Default cap on one serialized message (bytes). */
export const DEFAULT_MAX_EVENT_BYTES = 64 * 1024;
