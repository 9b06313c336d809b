// Types of build-freshness.js (plain CommonJS so that `npm start` runs without a TypeScript loader).

/** Files outside the sources that change every bundle. */
export declare const BUILD_CONFIGS: readonly string[];
/** Where `nest build <app>` writes its bundle: <root>/dist/apps/<app>/main.js. */
export declare function bundlePath(root: string, app: string): string;
/** The source folders an app's bundle is made of (its folder and libs; every app for nowcast). */
export declare function sourceDirs(root: string, app: string): string[];
/** True when the bundle is missing or older than a source or build config it depends on. */
export declare function isStale(root: string, app: string): boolean;
/** Builds each stale app (`npx nest build <app>`, output inherited); returns the ones it built; throws if one fails. */
export declare function buildStale(
  root: string,
  apps: readonly string[],
  log?: (line: string) => void,
): string[];
