import { plainToInstance } from 'class-transformer';
import { ValidationError, getMetadataStorage, validateSync } from 'class-validator';
import { ConfigProblem, ConfigValidationError } from './config-validation.error';
import { DeepReadonly, deepFreeze } from './deep-freeze';
import { EnvVarMeta, envVarsOf } from './env-var.decorator';

/** The environment as handed over by main.ts (or a test): names to raw strings. */
export type EnvSource = Readonly<Record<string, string | undefined>>;

/**
 * A reusable set of variables: a DTO class validated with class-validator (property name =
 * variable name), default raw values (as they would be written in the environment), and the
 * mapping to the typed section of the app config.
 */
export interface EnvGroup<TDto extends object, TOut> {
  readonly dto: new () => TDto;
  readonly defaults: Readonly<Partial<Record<keyof TDto & string, string>>>;
  toConfig(dto: TDto): TOut;
}

// Method syntax keeps toConfig bivariant, so every concrete group fits here.
export type EnvSchema = Readonly<Record<string, EnvGroup<object, unknown>>>;

/** The frozen, typed config an app gets from its schema. */
export type ConfigOf<S extends EnvSchema> = DeepReadonly<{
  [K in keyof S]: S[K] extends EnvGroup<infer _D, infer O> ? O : never;
}>;

/** Checks that no variable is claimed by two groups, then returns the schema unchanged. */
export function defineEnvSchema<S extends EnvSchema>(schema: S): S {
  const seen = new Set<string>();
  for (const group of Object.values(schema)) {
    for (const v of envVarsOf(group.dto)) {
      if (seen.has(v.name)) throw new Error(`${v.name} is declared by two env groups`);
      seen.add(v.name);
    }
  }
  return schema;
}

/**
 * Validates `env` against the schema once: every bad variable of every group is collected and
 * thrown together as a ConfigValidationError. An empty string counts as unset (compose files
 * often write `QDRANT_URL=`). Variables not in the schema are ignored.
 */
export function loadConfig<S extends EnvSchema>(schema: S, env: EnvSource): ConfigOf<S> {
  const problems: ConfigProblem[] = [];
  const out: Record<string, unknown> = {};
  for (const [section, group] of Object.entries(schema)) {
    const raw: Record<string, string | undefined> = {};
    const defaults: Partial<Record<string, string>> = group.defaults;
    for (const { name } of envVarsOf(group.dto)) {
      const value = env[name];
      raw[name] = value === undefined || value.trim() === '' ? defaults[name] : value;
    }
    const dto = plainToInstance(group.dto, raw);
    const errors = validateSync(dto, { forbidUnknownValues: true });
    if (errors.length > 0) problems.push(...errors.map(toProblem));
    else out[section] = group.toConfig(dto);
  }
  if (problems.length > 0) throw new ConfigValidationError(problems);
  return deepFreeze(out) as ConfigOf<S>;
}

function toProblem(error: ValidationError): ConfigProblem {
  return {
    variable: error.property,
    messages: Object.values(error.constraints ?? { invalid: 'is invalid' }),
  };
}

/** One row of the machine-readable schema (README env table, compose/k8s checks). */
export interface EnvVarDescription {
  name: string;
  type: string;
  required: boolean;
  default: string | null;
  description: string;
  secret: boolean;
  allowed?: string[];
}

export function describeEnv(schema: EnvSchema): EnvVarDescription[] {
  return Object.values(schema).flatMap((group) => {
    const defaults: Partial<Record<string, string>> = group.defaults;
    return envVarsOf(group.dto).map((meta) => describeVar(group.dto, meta, defaults[meta.name]));
  });
}

function describeVar(dto: new () => object, meta: EnvVarMeta, def: string | undefined): EnvVarDescription {
  const rules = getMetadataStorage()
    .getTargetValidationMetadatas(dto, '', true, false)
    .filter((m) => m.propertyName === meta.name);
  const has = (name: string): boolean => rules.some((r) => r.name === name);
  const optional = rules.some((r) => r.type === 'conditionalValidation');
  const isIn = rules.find((r) => r.name === 'isIn');
  const allowed = isIn ? (isIn.constraints[0] as unknown[]).map(String) : undefined;
  const derived = allowed ? 'enum' : has('isInt') ? 'integer' : has('isBoolean') ? 'boolean' : 'string';
  return {
    name: meta.name,
    type: meta.type ?? derived,
    required: def === undefined && !optional,
    default: def ?? null,
    description: meta.description,
    secret: meta.secret ?? false,
    ...(allowed ? { allowed } : {}),
  };
}
