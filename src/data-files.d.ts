/** Rule files shipped as text and bundled by esbuild's text loader (see scripts/build.mjs). */
declare module "*.toml" {
  const text: string;
  export default text;
}

/** The dashboard's page, bundled as text by esbuild's text loader (see scripts/build.mjs). */
declare module "*.html" {
  const text: string;
  export default text;
}
