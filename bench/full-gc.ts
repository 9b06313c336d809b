import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// a real GC before each memory reading, without needing `node --expose-gc`
setFlagsFromString('--expose-gc');

/** A full (major) garbage collection, now. */
export const fullGc = runInNewContext('gc') as () => void;
