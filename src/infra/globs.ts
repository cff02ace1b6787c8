/**
 * A matcher for a list of globs (picomatch syntax, dotfiles matched): one regular expression for the
 * whole list. picomatch's own matcher for a list tries each glob in turn and builds a result object
 * per try; over a commit's or a tree's paths and the ~50 globs of data/test-mapping.json that cost
 * more than the measures it decides about.
 */
import picomatch from "picomatch";

export function globMatcher(globs: readonly string[]): (path: string) => boolean {
  if (globs.length === 0) return () => false;
  const sources = globs.map((glob) => picomatch.makeRe(glob, { dot: true }).source);
  const combined = new RegExp(sources.map((source) => `(?:${source})`).join("|"));
  // picomatch matches nothing against an empty path, even a negated glob.
  return (path) => path !== "" && combined.test(path);
}
