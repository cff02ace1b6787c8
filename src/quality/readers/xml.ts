/**
 * A small, strict XML reader for coverage reports (Cobertura). It builds the element tree with
 * attributes and text, skips the prolog, comments, processing instructions and the DOCTYPE, decodes
 * the predefined and numeric entities, and refuses what is not well formed (unclosed or mismatched
 * tags, text or a second element after the root) with the line where it went wrong. It does not
 * resolve external entities or validate against a DTD; coverage reports need neither.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  /** The element's own text (CDATA included), decoded, not trimmed. */
  text: string;
}

export class XmlSyntaxError extends Error {
  readonly line: number;
  constructor(message: string, line: number) {
    super(message);
    this.name = "XmlSyntaxError";
    this.line = line;
  }
}

const NAME = "[A-Za-z_:][-A-Za-z0-9_:.]*";
const OPEN_TAG = new RegExp(`<(${NAME})`, "y");
const ATTRIBUTE = new RegExp(`\\s+(${NAME})\\s*=\\s*(?:"([^"<]*)"|'([^'<]*)')`, "y");
const TAG_END = /\s*(\/?)>/y;
const CLOSE_TAG = new RegExp(`</(${NAME})\\s*>`, "y");

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

function decode(text: string): string {
  if (!text.includes("&")) return text;
  return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z]+);/g, (whole, entity: string) => {
    if (entity.startsWith("#x")) return String.fromCodePoint(Number.parseInt(entity.slice(2), 16));
    if (entity.startsWith("#")) return String.fromCodePoint(Number.parseInt(entity.slice(1), 10));
    return ENTITIES[entity] ?? whole;
  });
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < index; i = text.indexOf("\n", i + 1)) line++;
  return line;
}

/** Parses a whole XML document and returns its root element. Throws XmlSyntaxError. */
export function parseXml(input: string): XmlElement {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  return new XmlReader(text).document();
}

/** One pass over the document: `i` is where reading is, `stack` the elements open there. */
class XmlReader {
  private readonly stack: XmlElement[] = [];
  private root: XmlElement | undefined;
  private i = 0;

  constructor(private readonly text: string) {}

  document(): XmlElement {
    const { text } = this;
    while (this.i < text.length) {
      const lt = text.indexOf("<", this.i);
      this.chars(lt === -1 ? text.length : lt);
      if (lt === -1) break;
      this.i = lt;
      this.markup();
    }
    const unclosed = this.stack.at(-1);
    if (unclosed) this.fail(`the document ends before </${unclosed.name}>`, text.length);
    if (!this.root) this.fail("no root element", 0);
    return this.root as XmlElement;
  }

  private fail(message: string, index: number): never {
    throw new XmlSyntaxError(message, lineAt(this.text, index));
  }

  private skipPast(terminator: string, from: number, what: string): number {
    const end = this.text.indexOf(terminator, from);
    if (end === -1) this.fail(`${what} is never closed`, from);
    return end + terminator.length;
  }

  /** Text up to `to`: the open element's, or outside the root only whitespace. */
  private chars(to: number): void {
    const chunk = this.text.slice(this.i, to);
    if (chunk.length === 0) return;
    const current = this.stack.at(-1);
    if (current) current.text += decode(chunk);
    else if (chunk.trim() !== "") this.fail(this.root ? "text after the root element" : "text before the root element", this.i);
  }

  /** The markup at `i`, which starts with `<`. */
  private markup(): void {
    const { text, i } = this;
    if (text.startsWith("<?", i)) this.i = this.skipPast("?>", i + 2, "a processing instruction");
    else if (text.startsWith("<!--", i)) this.i = this.skipPast("-->", i + 4, "a comment");
    else if (text.startsWith("<![CDATA[", i)) this.cdata();
    else if (text.startsWith("<!", i)) this.declaration();
    else if (text.startsWith("</", i)) this.closeTag();
    else this.openTag();
  }

  private cdata(): void {
    const { i } = this;
    const end = this.skipPast("]]>", i + 9, "a CDATA section");
    const current = this.stack.at(-1);
    if (!current) this.fail("CDATA outside the root element", i);
    else current.text += this.text.slice(i + 9, end - 3);
    this.i = end;
  }

  /** DOCTYPE, with an optional internal subset in brackets. */
  private declaration(): void {
    const { text, i } = this;
    let depth = 0;
    let j = i + 2;
    for (; j < text.length; j++) {
      const c = text[j];
      if (c === "[") depth++;
      else if (c === "]") depth--;
      else if (c === ">" && depth <= 0) break;
    }
    if (j >= text.length) this.fail("a <! declaration is never closed", i);
    this.i = j + 1;
  }

  private closeTag(): void {
    const { i } = this;
    CLOSE_TAG.lastIndex = i;
    const match = CLOSE_TAG.exec(this.text);
    if (!match) this.fail("a malformed closing tag", i);
    const open = this.stack.pop();
    if (!open) this.fail(`</${match[1]}> closes no open element`, i);
    if (open.name !== match[1]) this.fail(`</${match[1]}> found where </${open.name}> was expected`, i);
    this.i = CLOSE_TAG.lastIndex;
  }

  private openTag(): void {
    const { text, i } = this;
    OPEN_TAG.lastIndex = i;
    const match = OPEN_TAG.exec(text);
    if (!match) this.fail("a malformed tag (a lone '<' must be written &lt;)", i);
    const element: XmlElement = { name: match[1] ?? "", attrs: {}, children: [], text: "" };
    const j = this.attributes(element, OPEN_TAG.lastIndex);
    TAG_END.lastIndex = j;
    const end = TAG_END.exec(text);
    if (!end) this.fail(`the tag <${element.name}> is malformed or never closed`, j);
    this.place(element, i);
    if (end[1] !== "/") this.stack.push(element);
    this.i = TAG_END.lastIndex;
  }

  /** Reads the attributes from `from` into the element; returns where they end. */
  private attributes(element: XmlElement, from: number): number {
    let j = from;
    for (;;) {
      ATTRIBUTE.lastIndex = j;
      const attribute = ATTRIBUTE.exec(this.text);
      if (!attribute) return j;
      const name = attribute[1] ?? "";
      if (Object.hasOwn(element.attrs, name)) this.fail(`attribute ${name} appears twice on <${element.name}>`, j);
      element.attrs[name] = decode(attribute[2] ?? attribute[3] ?? "");
      j = ATTRIBUTE.lastIndex;
    }
  }

  /** Adds a new element to its parent, or makes it the root (there is only one). */
  private place(element: XmlElement, at: number): void {
    const parent = this.stack.at(-1);
    if (parent) parent.children.push(element);
    else if (this.root) this.fail(`a second root element <${element.name}>`, at);
    else this.root = element;
  }
}

/** Direct children with that name. */
export function childrenNamed(element: XmlElement, name: string): XmlElement[] {
  return element.children.filter((child) => child.name === name);
}

/** All descendants with that name, in document order. */
export function descendantsNamed(element: XmlElement, name: string): XmlElement[] {
  const found: XmlElement[] = [];
  const walk = (node: XmlElement) => {
    for (const child of node.children) {
      if (child.name === name) found.push(child);
      walk(child);
    }
  };
  walk(element);
  return found;
}
