import { DEFAULT_TOPICS } from '../topics';

/** Default topic of raw v1 events (every type, key = partitionKeyOf). Configurable per app. */
export const RAW_EVENTS_TOPIC = DEFAULT_TOPICS.raw;
/** Default dead-letter topic: original key and bytes, headers saying why. */
export const DEAD_LETTER_TOPIC = DEFAULT_TOPICS.deadLetter;
