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
