import { API_KEY_SCOPES, ApiKeyScope, ApiKeys } from '@app/config';

export interface Principal {
  /** Rate-limit bucket: the key itself (never logged), or `open` when no keys are configured. */
  bucket: string;
  scopes: ReadonlySet<ApiKeyScope>;
}

const ALL_SCOPES: ReadonlySet<ApiKeyScope> = new Set<ApiKeyScope>(API_KEY_SCOPES);
const OPEN: Principal = Object.freeze({ bucket: 'open', scopes: ALL_SCOPES });

/**
 * X-API-Key -> scopes. Several keys per scope (rotation: add the new key, move clients, drop the
 * old one). A key may be listed under several scopes; `admin` does not imply the others (list
 * the key under each scope it needs). With no keys configured everything is open: allowed only
 * outside production, which ApiKeyGuard enforces at boot.
 */
export class ApiKeyAuthenticator {
  // one Principal per key, built at boot: authenticating a request allocates nothing
  private readonly principals = new Map<string, Principal>();

  constructor(keys: ApiKeys) {
    const scopesByKey = new Map<string, Set<ApiKeyScope>>();
    for (const [scope, set] of keys) {
      for (const key of set) {
        const scopes = scopesByKey.get(key) ?? new Set<ApiKeyScope>();
        scopes.add(scope);
        scopesByKey.set(key, scopes);
      }
    }
    for (const [key, scopes] of scopesByKey) this.principals.set(key, Object.freeze({ bucket: key, scopes }));
  }

  get open(): boolean {
    return this.principals.size === 0;
  }

  /** Null for a missing or unknown key (401). */
  authenticate(key: string | undefined): Principal | null {
    if (this.principals.size === 0) return OPEN;
    if (key === undefined) return null;
    return this.principals.get(key) ?? null;
  }
}
