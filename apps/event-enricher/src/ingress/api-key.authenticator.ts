import { ApiKeyScope, ApiKeys } from '@app/config';

export interface Principal {
  /** Rate-limit bucket: the key itself (never logged), or `open` when no keys are configured. */
  bucket: string;
  scopes: ReadonlySet<ApiKeyScope>;
}

const ALL_SCOPES: ReadonlySet<ApiKeyScope> = new Set<ApiKeyScope>(['ingest', 'read', 'admin']);

/**
 * X-API-Key -> scopes. Several keys per scope (rotation: add the new key, move clients, drop the
 * old). A key may be listed under several scopes. With no keys configured the API is open (every
 * scope): allowed only outside production, which the module enforces at boot.
 */
export class ApiKeyAuthenticator {
  private readonly scopesByKey = new Map<string, Set<ApiKeyScope>>();

  constructor(keys: ApiKeys) {
    for (const [scope, set] of keys) {
      for (const key of set) {
        const scopes = this.scopesByKey.get(key) ?? new Set<ApiKeyScope>();
        scopes.add(scope);
        this.scopesByKey.set(key, scopes);
      }
    }
  }

  get open(): boolean {
    return this.scopesByKey.size === 0;
  }

  /** Null for a missing or unknown key (401). */
  authenticate(key: string | undefined): Principal | null {
    if (this.open) return { bucket: 'open', scopes: ALL_SCOPES };
    if (key === undefined) return null;
    const scopes = this.scopesByKey.get(key);
    return scopes ? { bucket: key, scopes } : null;
  }
}
