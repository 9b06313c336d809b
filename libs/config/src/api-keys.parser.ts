/** The scopes an API key can carry; an unknown scope is a typo, so it is rejected. */
export const API_KEY_SCOPES = ['ingest', 'read', 'admin'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** Keys by scope; several keys per scope so a key can be rotated without downtime. */
export type ApiKeys = ReadonlyMap<ApiKeyScope, ReadonlySet<string>>;

export type ApiKeysParseResult =
  { ok: true; keys: Map<ApiKeyScope, Set<string>> } | { ok: false; error: string };

const KEY_PATTERN = /^[A-Za-z0-9._~+/=-]+$/;

function isScope(value: string): value is ApiKeyScope {
  return (API_KEY_SCOPES as readonly string[]).includes(value);
}

/**
 * Parses `ingest:k1,k2;read:k3;admin:k4`. A scope may appear once; keys are non-empty tokens
 * without spaces or separators. Errors describe the position, never the key itself (a secret).
 */
export function parseApiKeys(raw: string): ApiKeysParseResult {
  const keys = new Map<ApiKeyScope, Set<string>>();
  const groups = raw.split(';').map((g) => g.trim());
  for (const [index, group] of groups.entries()) {
    if (group === '') {
      // a trailing `;` is harmless; an empty group in the middle is a typo
      if (index === groups.length - 1 && index > 0) continue;
      return { ok: false, error: `has an empty group at position ${index + 1}` };
    }
    const colon = group.indexOf(':');
    if (colon <= 0) return { ok: false, error: `group ${index + 1} has no "scope:" prefix` };
    const scope = group.slice(0, colon).trim();
    if (!isScope(scope)) {
      return {
        ok: false,
        error: `group ${index + 1} has unknown scope "${scope}" (allowed: ${API_KEY_SCOPES.join(', ')})`,
      };
    }
    if (keys.has(scope)) return { ok: false, error: `lists scope "${scope}" twice` };
    const list = group
      .slice(colon + 1)
      .split(',')
      .map((k) => k.trim());
    if (list.some((k) => k === '' || !KEY_PATTERN.test(k))) {
      return { ok: false, error: `scope "${scope}" has an empty or malformed key` };
    }
    keys.set(scope, new Set(list));
  }
  return { ok: true, keys };
}
