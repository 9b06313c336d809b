/** What `describeEnv` reports about one variable, beside what class-validator metadata says. */
export interface EnvVarOptions {
  description: string;
  /** Never echoed in logs or errors; compose/k8s generators put it in a Secret. */
  secret?: boolean;
  /** Overrides the type derived from the validators (e.g. `list` for comma lists). */
  type?: string;
}

export interface EnvVarMeta extends EnvVarOptions {
  name: string;
}

// Keyed by class: the env DTOs are plain classes, so a WeakMap is enough and needs no
// reflect-metadata (design:type is not used; types come from the validators).
const registry = new WeakMap<object, Map<string, EnvVarMeta>>();

/** Marks a DTO property as an environment variable; the property name is the variable name. */
export function EnvVar(options: EnvVarOptions): PropertyDecorator {
  return (target, propertyKey) => {
    if (typeof propertyKey !== 'string') throw new TypeError('@EnvVar needs a string property name');
    const ctor = target.constructor;
    const vars = registry.get(ctor) ?? new Map<string, EnvVarMeta>();
    vars.set(propertyKey, { ...options, name: propertyKey });
    registry.set(ctor, vars);
  };
}

/** The variables a DTO class declares, in declaration order. */
export function envVarsOf(dto: abstract new () => object): EnvVarMeta[] {
  return [...(registry.get(dto)?.values() ?? [])];
}
