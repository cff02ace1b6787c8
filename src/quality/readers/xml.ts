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
  const fail = (message: string, index: number): never => {
    throw new XmlSyntaxError(message, lineAt(text, index));
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;

  const skipPast = (terminator: string, from: number, what: string): number => {
    const end = text.indexOf(terminator, from);
    if (end === -1) fail(`${what} is never closed`, from);
    return end + terminator.length;
  };

  while (i < text.length) {
    const lt = text.indexOf("<", i);
    const chunk = text.slice(i, lt === -1 ? text.length : lt);
    if (chunk.length > 0) {
      const current = stack.at(-1);
      if (current) current.text += decode(chunk);
      else if (chunk.trim() !== "") fail(root ? "text after the root element" : "text before the root element", i);
    }
    if (lt === -1) break;
    i = lt;

    if (text.startsWith("<?", i)) {
      i = skipPast("?>", i + 2, "a processing instruction");
    } else if (text.startsWith("<!--", i)) {
      i = skipPast("-->", i + 4, "a comment");
    } else if (text.startsWith("<![CDATA[", i)) {
      const end = skipPast("]]>", i + 9, "a CDATA section");
      const current = stack.at(-1);
      if (!current) fail("CDATA outside the root element", i);
      else current.text += text.slice(i + 9, end - 3);
      i = end;
    } else if (text.startsWith("<!", i)) {
      // DOCTYPE, with an optional internal subset in brackets.
      let depth = 0;
      let j = i + 2;
      for (; j < text.length; j++) {
        const c = text[j];
        if (c === "[") depth++;
        else if (c === "]") depth--;
        else if (c === ">" && depth <= 0) break;
      }
      if (j >= text.length) fail("a <! declaration is never closed", i);
      i = j + 1;
    } else if (text.startsWith("</", i)) {
      CLOSE_TAG.lastIndex = i;
      const match = CLOSE_TAG.exec(text);
      if (!match) return fail("a malformed closing tag", i);
      const open = stack.pop();
      if (!open) return fail(`</${match[1]}> closes no open element`, i);
      if (open.name !== match[1]) fail(`</${match[1]}> found where </${open.name}> was expected`, i);
      i = CLOSE_TAG.lastIndex;
    } else {
      OPEN_TAG.lastIndex = i;
      const match = OPEN_TAG.exec(text);
      if (!match) return fail("a malformed tag (a lone '<' must be written &lt;)", i);
      const element: XmlElement = { name: match[1] ?? "", attrs: {}, children: [], text: "" };
      let j = OPEN_TAG.lastIndex;
      for (;;) {
        ATTRIBUTE.lastIndex = j;
        const attribute = ATTRIBUTE.exec(text);
        if (!attribute) break;
        const name = attribute[1] ?? "";
        if (Object.hasOwn(element.attrs, name)) fail(`attribute ${name} appears twice on <${element.name}>`, j);
        element.attrs[name] = decode(attribute[2] ?? attribute[3] ?? "");
        j = ATTRIBUTE.lastIndex;
      }
      TAG_END.lastIndex = j;
      const end = TAG_END.exec(text);
      if (!end) return fail(`the tag <${element.name}> is malformed or never closed`, j);
      const parent = stack.at(-1);
      if (parent) parent.children.push(element);
      else if (root) fail(`a second root element <${element.name}>`, i);
      else root = element;
      if (end[1] !== "/") stack.push(element);
      i = TAG_END.lastIndex;
    }
  }

  const unclosed = stack.at(-1);
  if (unclosed) fail(`the document ends before </${unclosed.name}>`, text.length);
  if (!root) fail("no root element", 0);
  return root as XmlElement;
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
