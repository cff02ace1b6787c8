/** Types of docs.mjs for the tests that check the generated pages. */
export interface ErrorSite {
  file: string;
  line: number;
  area: string;
  /** The message's text with its values as ‹name› or …; undefined when the source computes it. */
  messages: string[] | undefined;
  exitCode: number;
  fix: string | undefined;
  hasFix: boolean;
}
export function errorSites(base?: string): ErrorSite[];
export function shownMessage(message: string): string;
/** Text as a markdown table cell shows it: `|` and `<` escaped, on one line. */
export function escapeCell(text: string): string;
export function renderErrors(sites: ErrorSite[]): string;
export function renderSettings(schema: unknown): string;
export function withGenerated(page: string, name: string, content: string): string;
export function generatedPages(base?: string): { path: string; name: string; content: string }[];
