/** Rule files shipped as text and bundled by esbuild's text loader (see scripts/build.mjs). */
declare module "*.toml" {
  const text: string;
  export default text;
  /** Only data/secret-rules.toml, in the built bundle: its rules already compiled (scripts/build.mjs). */
  export const compiled: import("./security/secrets/compiled-rules.js").SerializedRuleSet | undefined;
}

/** The dashboard's page, bundled as text by esbuild's text loader (see scripts/build.mjs). */
declare module "*.html" {
  const text: string;
  export default text;
}

/** A hash of the sources and data the bundle was built from (scripts/build.mjs); undeclared when running from source. */
declare const __BR_BUILD_ID__: string;
