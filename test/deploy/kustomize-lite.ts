import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';

/**
 * The subset of `kubectl kustomize` that k8s/ uses, so the deploy test renders overlays with no
 * kubectl on the machine: resources (files and folders), configMap/secret generators (literals,
 * `behavior: merge`), strategic-merge `patches` by path, `replicas`, `images`, `namespace`.
 * Differences on purpose: generated names get no hash suffix. Anything else in a
 * kustomization.yaml throws, so a new feature cannot be silently ignored.
 */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface Generator {
  name: string;
  behavior?: 'create' | 'merge' | 'replace';
  literals?: string[];
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  configMapGenerator?: Generator[];
  secretGenerator?: Generator[];
  patches?: { path: string }[];
  replicas?: { name: string; count: number }[];
  images?: { name: string; newName?: string; newTag?: string }[];
}

const SUPPORTED = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'resources',
  'configMapGenerator',
  'secretGenerator',
  'patches',
  'replicas',
  'images',
]);

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Strategic merge as far as these manifests need: maps deep-merge, lists of named items merge by name. */
export function strategicMerge(target: unknown, patch: unknown): unknown {
  if (isObject(target) && isObject(patch)) {
    const out: Json = { ...target };
    for (const [key, value] of Object.entries(patch)) out[key] = strategicMerge(target[key], value);
    return out;
  }
  const named = (list: unknown): list is Json[] =>
    Array.isArray(list) && list.every((item) => isObject(item) && typeof item.name === 'string');
  if (named(target) && named(patch)) {
    const out = target.map((item) => {
      const match = patch.find((p) => p.name === item.name);
      return match ? (strategicMerge(item, match) as Json) : item;
    });
    for (const item of patch) if (!target.some((t) => t.name === item.name)) out.push(item);
    return out;
  }
  return patch;
}

function generate(objects: K8sObject[], kind: 'ConfigMap' | 'Secret', generators: Generator[]): void {
  for (const generator of generators) {
    const data = Object.fromEntries(
      (generator.literals ?? []).map((literal) => {
        const at = literal.indexOf('=');
        const value = literal.slice(at + 1);
        return [literal.slice(0, at), kind === 'Secret' ? Buffer.from(value).toString('base64') : value];
      }),
    );
    const existing = objects.find((o) => o.kind === kind && o.metadata.name === generator.name);
    if (generator.behavior === 'merge' || generator.behavior === 'replace') {
      if (!existing) throw new Error(`${kind} ${generator.name}: nothing to ${generator.behavior}`);
      existing.data = generator.behavior === 'merge' ? { ...(existing.data as Json), ...data } : data;
      continue;
    }
    if (existing) throw new Error(`${kind} ${generator.name} is generated twice`);
    objects.push({
      apiVersion: 'v1',
      kind,
      metadata: { name: generator.name },
      ...(kind === 'Secret' ? { type: 'Opaque' } : {}),
      data,
    });
  }
}

function containersOf(object: K8sObject): Json[] {
  const spec = (object.spec as { template?: { spec?: { containers?: Json[] } } } | undefined)?.template?.spec;
  return spec?.containers ?? [];
}

export function renderKustomization(dir: string): K8sObject[] {
  const k = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unsupported = Object.keys(k).filter((key) => !SUPPORTED.has(key));
  if (unsupported.length > 0)
    throw new Error(`${dir}: kustomize-lite does not support ${unsupported.join(', ')}`);

  let objects: K8sObject[] = [];
  for (const resource of k.resources ?? []) {
    const path = join(dir, resource);
    if (statSync(path).isDirectory()) objects.push(...renderKustomization(path));
    else objects.push(...parseAllDocuments(readFileSync(path, 'utf8')).map((d) => d.toJS() as K8sObject));
  }
  generate(objects, 'ConfigMap', k.configMapGenerator ?? []);
  generate(objects, 'Secret', k.secretGenerator ?? []);
  for (const { path } of k.patches ?? []) {
    const patch = parse(readFileSync(join(dir, path), 'utf8')) as K8sObject;
    const index = objects.findIndex((o) => o.kind === patch.kind && o.metadata.name === patch.metadata.name);
    if (index < 0) throw new Error(`${path}: no ${patch.kind} ${patch.metadata.name} to patch`);
    objects[index] = strategicMerge(objects[index], patch) as K8sObject;
  }
  for (const { name, count } of k.replicas ?? []) {
    const target = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
    if (!target) throw new Error(`replicas: no Deployment ${name}`);
    (target.spec as Json).replicas = count;
  }
  for (const image of k.images ?? []) {
    for (const container of objects.flatMap(containersOf)) {
      const [repository, tag] = String(container.image).split(':');
      if (repository !== image.name) continue;
      container.image = `${image.newName ?? repository}:${image.newTag ?? tag}`;
    }
  }
  if (k.namespace) {
    objects = objects.map((o) => ({ ...o, metadata: { ...o.metadata, namespace: k.namespace } }));
  }
  return objects;
}
