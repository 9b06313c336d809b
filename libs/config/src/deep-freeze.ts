/** Readonly all the way down, including Maps and Sets. */
export type DeepReadonly<T> =
  T extends ReadonlyMap<infer K, infer V>
    ? ReadonlyMap<K, DeepReadonly<V>>
    : T extends ReadonlySet<infer V>
      ? ReadonlySet<DeepReadonly<V>>
      : T extends (...args: never[]) => unknown
        ? T
        : T extends object
          ? { readonly [P in keyof T]: DeepReadonly<T[P]> }
          : T;

function refuse(): never {
  throw new TypeError('configuration is frozen');
}

/**
 * Freezes objects and arrays recursively. Object.freeze does not stop Map.set or Set.add, so
 * Maps and Sets get own mutators that throw (own properties shadow the prototype's).
 */
export function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (value instanceof Map) {
    for (const [k, v] of value) {
      deepFreeze(k);
      deepFreeze(v);
    }
    Object.assign(value, { set: refuse, delete: refuse, clear: refuse });
  } else if (value instanceof Set) {
    for (const v of value) deepFreeze(v);
    Object.assign(value, { add: refuse, delete: refuse, clear: refuse });
  } else if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
  }
  if (value !== null && typeof value === 'object') Object.freeze(value);
  return value as DeepReadonly<T>;
}
