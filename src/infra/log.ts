/**
 * Human-facing output. Everything here goes to stderr so that stdout stays clean for --json
 * documents; colour only on a TTY and never with NO_COLOR. Every line passes the shared masker.
 */
import { mask } from "../security/mask.js";

const useColor = (): boolean =>
  !("NO_COLOR" in process.env) && (process.env.FORCE_COLOR !== undefined ? process.env.FORCE_COLOR !== "0" : process.stderr.isTTY === true);

const paint = (code: number) => (text: string) => (useColor() ? `\u001b[${code}m${text}\u001b[0m` : text);

export const style = {
  bold: paint(1),
  dim: paint(2),
  red: paint(31),
  green: paint(32),
  yellow: paint(33),
  cyan: paint(36),
};

/** Human text: to stdout normally, to stderr when stdout is reserved for a JSON document. */
let humanStream: NodeJS.WriteStream = process.stdout;
export function reserveStdoutForJson(): void {
  humanStream = process.stderr;
}

export function say(text: string): void {
  humanStream.write(`${mask(text)}\n`);
}

export function warn(text: string): void {
  process.stderr.write(`${style.yellow("warning:")} ${mask(text)}\n`);
}

/** A status line about br itself (not the command's result): always stderr, so pipes stay clean. */
export function notice(text: string): void {
  process.stderr.write(`${style.dim(mask(text))}\n`);
}
