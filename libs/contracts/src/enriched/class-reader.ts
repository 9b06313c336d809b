import {
  ValidationArguments,
  ValidationTypes,
  ValidatorConstraintInterface,
  getMetadataStorage,
} from 'class-validator';

type ValidationMetadata = ReturnType<
  ReturnType<typeof getMetadataStorage>['getTargetValidationMetadatas']
>[number];

/** Valid -> the whitelisted copy (or `true` in check mode); invalid -> null. Verdict only, no messages. */
export type ClassReader<R> = (plain: Record<string, unknown>) => R | null;

/**
 * What a reader returns when valid: an instance of the class (as validateClass does), a plain
 * object with the same properties (custom rules then get that plain copy as `args.object`), or
 * nothing (`check`: the caller reads the values from the input itself; only for classes whose
 * every rule is one of the direct ones below and whose only condition is IsOptional).
 */
export type ReaderMode = 'instance' | 'plain' | 'check';

/** A rule the generated code calls as class-validator would (custom rules, `each` rules). */
interface CalledRule {
  constraint: ValidatorConstraintInterface;
  metadata: ValidationMetadata;
}

/**
 * Compiles the class-validator decorators of `cls` into one straight-line JS function (the way
 * ajv compiles a JSON schema): each decorated property is read by name (an inline-cached load
 * instead of a megamorphic `plain[name]` in a loop), the commonest rules are inlined with the
 * same verdicts as class-validator/validator.js (as CompiledValidator's direct tests), any other
 * rule is called through its constraint exactly as CompiledValidator does, and the result object
 * is built with the same properties in the same order. Null when the class uses a feature this
 * does not implement (nested, async, ...): callers then use validateClass.
 *
 * The generated source holds only property names (JSON-quoted) and indices into the constant
 * arrays below; no message content ever becomes code.
 */
export function compileClassReader<T extends object>(
  cls: new () => T,
  mode: 'instance' | 'plain',
): ClassReader<T> | null;
export function compileClassReader(cls: new () => object, mode: 'check'): ClassReader<true> | null;
export function compileClassReader<T extends object>(
  cls: new () => T,
  mode: ReaderMode,
): ClassReader<T | true> | null {
  const storage = getMetadataStorage();
  const grouped = storage.groupByPropertyName(storage.getTargetValidationMetadatas(cls, '', true, false));
  const constants: unknown[] = [];
  const called: CalledRule[] = [];
  const constant = (value: unknown): string => `K[${constants.push(value) - 1}]`;
  const names = Object.keys(grouped);
  const value = (i: number) => `v${i}`;
  let body = names.map((name, i) => `const ${value(i)} = p[${JSON.stringify(name)}];\n`).join('');
  if (mode !== 'check') {
    body += mode === 'plain' ? 'const o = {};\n' : 'const o = Object.create(P);\n';
    body += names
      .map((name, i) => `if (${value(i)} !== undefined) o[${JSON.stringify(name)}] = ${value(i)};\n`)
      .join('');
  }
  for (const [i, name] of names.entries()) {
    const v = value(i);
    const gates: string[] = [];
    const tests: string[] = [];
    for (const metadata of grouped[name]) {
      if (metadata.type === ValidationTypes.CONDITIONAL_VALIDATION) {
        if (metadata.name === 'isOptional') gates.push(`(${v} !== null && ${v} !== undefined)`);
        else if (mode === 'check') return null;
        else gates.push(`${constant(metadata.constraints[0])}(o, ${v})`);
      } else if (metadata.type === ValidationTypes.CUSTOM_VALIDATION) {
        for (const target of storage.getTargetValidatorConstraints(metadata.constraintCls)) {
          if (target.async) return null;
          const direct = directTest(metadata, v, constant);
          if (direct === undefined && mode === 'check') return null;
          tests.push(
            direct ?? `C(${called.push({ constraint: target.instance, metadata }) - 1}, o, ${v}, T)`,
          );
        }
      } else {
        return null;
      }
    }
    if (tests.length === 0) continue;
    const failed = `if (!(${tests.join(' && ')})) return null;\n`;
    body += gates.length === 0 ? failed : `if (${gates.join(' && ')}) ${failed}`;
  }
  body += mode === 'check' ? 'return true;' : 'return o;';
  const callRule = (index: number, object: object, v: unknown, targetName: string): boolean =>
    passes(called[index], object, v, targetName);
  let factory: (
    prototype: object,
    constants: unknown[],
    call: typeof callRule,
    targetName: string,
  ) => ClassReader<T | true>;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- schema compiler, see above
    factory = new Function('P', 'K', 'C', 'T', `return function read(p) {\n${body}\n};`) as typeof factory;
  } catch {
    return null; // code generation disallowed (--disallow-code-generation-from-strings): validateClass
  }
  return factory(cls.prototype as object, constants, callRule, cls.name);
}

/**
 * The inlined verdict of class-validator's commonest rules (copied from class-validator and
 * validator.js, as CompiledValidator's `fastTest`, plus isBoolean and isNumber), or undefined for
 * any other rule.
 */
function directTest(
  metadata: ValidationMetadata,
  v: string,
  constant: (value: unknown) => string,
): string | undefined {
  if (metadata.each) return undefined;
  const [bound, modifiers] = (metadata.constraints ?? []) as unknown[];
  switch (metadata.name ?? '') {
    case 'isString':
      return `(typeof ${v} === 'string' || ${v} instanceof String)`;
    case 'isBoolean':
      return `(${v} instanceof Boolean || typeof ${v} === 'boolean')`;
    case 'isInt':
      return `(typeof ${v} === 'number' && Number.isInteger(${v}))`;
    case 'isNumber':
      // class-validator: NaN and +-Infinity pass only when allowed, maxDecimalPlaces counts digits;
      // without those options its verdict is Number.isFinite
      return isPlainFiniteNumberRule(bound)
        ? `(typeof ${v} === 'number' && Number.isFinite(${v}))`
        : undefined;
    case 'min':
      return typeof bound === 'number'
        ? `(typeof ${v} === 'number' && ${v} >= ${constant(bound)})`
        : undefined;
    case 'max':
      return typeof bound === 'number'
        ? `(typeof ${v} === 'number' && ${v} <= ${constant(bound)})`
        : undefined;
    case 'isIn':
      // class-validator: possibleValues.some((p) => p === value); indexOf compares with === too
      return Array.isArray(bound) ? `(${constant(bound)}.indexOf(${v}) !== -1)` : undefined;
    case 'matches':
      // validator.js: !!str.match(pattern); for a RegExp without g/y flags that is pattern.test(str)
      return bound instanceof RegExp && !bound.global && !bound.sticky && modifiers === undefined
        ? `(typeof ${v} === 'string' && ${constant(bound)}.test(${v}))`
        : undefined;
    case 'isObject':
      return `(${v} != null && (typeof ${v} === 'object' || typeof ${v} === 'function') && !Array.isArray(${v}))`;
    default:
      return undefined;
  }
}

/** IsNumber's options when they allow neither NaN nor Infinity and put no cap on decimal places. */
function isPlainFiniteNumberRule(options: unknown): boolean {
  if (options === undefined) return true;
  if (typeof options !== 'object' || options === null) return false;
  const { allowNaN, allowInfinity, maxDecimalPlaces } = options as Record<string, unknown>;
  return !allowNaN && !allowInfinity && maxDecimalPlaces === undefined;
}

/** A rule called as CompiledValidator calls it (same arguments, same `each` handling). */
function passes(rule: CalledRule, object: object, value: unknown, targetName: string): boolean {
  const args: ValidationArguments = {
    targetName,
    property: rule.metadata.propertyName,
    object,
    value,
    constraints: rule.metadata.constraints,
  };
  if (rule.metadata.each && (Array.isArray(value) || value instanceof Set || value instanceof Map)) {
    const items: unknown[] = value instanceof Map ? [...value.values()] : [...(value as Iterable<unknown>)];
    for (const item of items) if (rule.constraint.validate(item, args) !== true) return false;
    return true;
  }
  return rule.constraint.validate(value, args) === true;
}
