/**
 * The keyword prefilter's matcher: which of a rule set's keywords occur in a text, found in one
 * pass with an Aho-Corasick automaton compiled to a table. It folds ASCII case as it reads, so the
 * text is never lowercased (ASCII letters, and the non-ASCII letters keywords use, match in either case), and it reports every keyword present, overlapping ones included
 * (`key` inside `apikey`), at a cost per character that does not grow with the number of keywords
 * or with how often a common one (`key`, `token`) recurs.
 */

/** Characters outside the keywords' alphabet all share class 0, which leads back towards the root. */
const OTHER = 0;

export class KeywordMatcher {
  readonly keywords: readonly string[];
  /** Per character code below 128, and per non-ASCII code a keyword uses, its class (0: none). */
  private readonly asciiClass = new Uint8Array(128);
  private readonly wideClass = new Map<number, number>();
  private readonly classes: number;
  /** delta[state * classes + class]: the next state, times classes. */
  private readonly delta: Int32Array;
  /** Per premultiplied state, 1 where some keyword ends. */
  private readonly ending: Uint8Array;
  /** Per state, the keywords (indexes) that end there, its own and those of its suffixes. */
  private readonly outputs: (readonly number[] | undefined)[];

  constructor(keywords: Iterable<string>) {
    this.keywords = [...new Set([...keywords].map((k) => k.toLowerCase()).filter(Boolean))];
    this.classes = this.assignClasses();
    const trie = this.buildTrie();
    this.delta = new Int32Array(trie.children.length * this.classes);
    this.outputs = trie.outputs;
    this.link(trie.children);
    for (let i = 0; i < this.delta.length; i++) this.delta[i] = (this.delta[i] as number) * this.classes;
    this.ending = new Uint8Array(this.delta.length);
    this.outputs.forEach((out, state) => {
      if (out) this.ending[state * this.classes] = 1;
    });
  }

  /** The keywords that occur in `text`, ASCII case ignored. */
  present(text: string): Set<string> {
    const found = new Set<string>();
    const { delta, outputs, asciiClass, wideClass, classes, ending } = this;
    const reported = new Uint8Array(outputs.length);
    // States are kept premultiplied by the class count: one addition per character to find the next.
    let row = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      row = delta[row + (code < 128 ? (asciiClass[code] as number) : (wideClass.get(code) ?? OTHER))] as number;
      if (ending[row] === 0) continue;
      const state = row / classes;
      if (reported[state] === 1) continue;
      reported[state] = 1;
      for (const k of outputs[state] as readonly number[]) found.add(this.keywords[k] as string);
      // Every keyword found: the rest of the text cannot add one.
      if (found.size === this.keywords.length) break;
    }
    return found;
  }

  private assignClasses(): number {
    let next = 1;
    const classOf = (code: number) => {
      if (code < 128) {
        if (this.asciiClass[code] === 0) this.asciiClass[code] = next++;
        return;
      }
      if (!this.wideClass.has(code)) this.wideClass.set(code, next++);
    };
    for (const keyword of this.keywords) for (let i = 0; i < keyword.length; i++) classOf(keyword.charCodeAt(i));
    // Upper-case letters read as their lower-case class: ASCII ones, and the keywords' own others (Ñ as ñ).
    for (let code = 65; code <= 90; code++) this.asciiClass[code] = this.asciiClass[code + 32] as number;
    for (const [code, cls] of [...this.wideClass]) {
      const upper = String.fromCharCode(code).toUpperCase();
      if (upper.length === 1 && upper.charCodeAt(0) >= 128) this.wideClass.set(upper.charCodeAt(0), cls);
    }
    if (next > 255) throw new Error("keyword alphabet too large for the prefilter");
    return next;
  }

  private classOfCode(code: number): number {
    return code < 128 ? (this.asciiClass[code] as number) : (this.wideClass.get(code) ?? OTHER);
  }

  /** The keywords' trie: per state its children by class, and the keywords ending there. */
  private buildTrie(): { children: Map<number, number>[]; outputs: (number[] | undefined)[] } {
    const children: Map<number, number>[] = [new Map()];
    const outputs: (number[] | undefined)[] = [undefined];
    this.keywords.forEach((keyword, index) => {
      let state = 0;
      for (let i = 0; i < keyword.length; i++) {
        const cls = this.classOfCode(keyword.charCodeAt(i));
        let child = children[state]?.get(cls);
        if (child === undefined) {
          child = children.length;
          children.push(new Map());
          outputs.push(undefined);
          children[state]?.set(cls, child);
        }
        state = child;
      }
      outputs[state] = [...(outputs[state] ?? []), index];
    });
    return { children, outputs };
  }

  /** Breadth first: each state's failure link, inherited outputs and full transition row. */
  private link(children: Map<number, number>[]): void {
    const { delta, classes, outputs } = this;
    const fail = new Int32Array(children.length);
    const queue: number[] = [];
    for (const child of children[0]?.values() ?? []) queue.push(child);
    for (const [cls, child] of children[0] ?? []) delta[cls] = child;
    for (let head = 0; head < queue.length; head++) {
      const state = queue[head] as number;
      const inherited = outputs[fail[state] as number];
      if (inherited) outputs[state] = [...(outputs[state] ?? []), ...inherited];
      for (let cls = 0; cls < classes; cls++) {
        const child = children[state]?.get(cls);
        const viaFailure = delta[(fail[state] as number) * classes + cls] as number;
        if (child === undefined) {
          delta[state * classes + cls] = viaFailure;
          continue;
        }
        fail[child] = viaFailure;
        delta[state * classes + cls] = child;
        queue.push(child);
      }
    }
  }
}
