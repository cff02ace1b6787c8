import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type FileMeasures, type FunctionMeasure, findDuplication, measureFile } from "../src/quality/measures/index.ts";

function measure(path: string, text: string): FileMeasures {
  const result = measureFile(path, text);
  assert.ok(result, `${path} should be measured`);
  return result;
}

function fn(result: FileMeasures, name: string): FunctionMeasure {
  const found = result.functions.filter((f) => f.name === name);
  assert.equal(found.length, 1, `exactly one function named ${name} in ${result.functions.map((f) => f.name).join(", ")}`);
  return found[0] as FunctionMeasure;
}

describe("measureFile: languages and lines", () => {
  it("returns undefined for unsupported languages", () => {
    assert.equal(measureFile("main.go", "package main\n"), undefined);
    assert.equal(measureFile("README.md", "# x\n"), undefined);
  });

  it("counts total lines and code lines (blank and comment-only lines are not code)", () => {
    const ts = measure(
      "a.ts",
      [
        "// header",
        "",
        "/* block",
        "   comment */",
        "const a = 1; // trailing",
        "/* lead */ const b = 2;",
        "  ",
        "export { a, b };",
        "",
      ].join("\n"),
    );
    assert.equal(ts.language, "typescript");
    assert.equal(ts.lines, 8);
    assert.equal(ts.codeLines, 3);
    const py = measure(
      "a.py",
      ['"""Module doc', 'spanning lines."""', "# comment", "", "x = 1  # trailing", 'y = """not', 'a docstring"""'].join("\n"),
    );
    assert.equal(py.language, "python");
    assert.equal(py.lines, 7);
    assert.equal(py.codeLines, 3);
    assert.equal(measure("empty.js", "").lines, 0);
  });
});

describe("measureFile: complexity", () => {
  it("JavaScript: one if, one && and a for-of is 4; nested functions are measured on their own", () => {
    const result = measure(
      "a.js",
      `function f(items, on) {
  for (const item of items) {
    if (item.ok && on) {
      items.forEach((x) => (x ? on(x) : null));
    }
  }
}
`,
    );
    assert.equal(fn(result, "f").complexity, 4);
    assert.equal(fn(result, "<anonymous>").complexity, 2);
  });

  it("TypeScript: every kind of decision point", () => {
    const result = measure(
      "a.ts",
      `export function all(x: number, o: Record<string, number>, a?: number | undefined): number {
  if (x > 1 || x < -1) {
    x++;
  } else if (x === 0) {
    x--;
  } else {
    x = 2;
  }
  for (let i = 0; i < 3; i++) x++;
  for (const k in o) x += o[k] ?? 0;
  while (x > 100) x--;
  do { x++; } while (x < 0);
  switch (x) {
    case 1:
    case 2:
      break;
    default:
      break;
  }
  try { x = JSON.parse("1"); } catch { x = 0; } finally { x++; }
  a ??= 1; a ||= 2; a &&= 3; a **= 2;
  const t: string | number = x ? "a" : 1;
  return x?.valueOf() ?? t;
}
`,
    );
    // 1 + if + || + else-if + for + for-in + ?? + while + do + 2 cases + catch + ??= + ||= + &&= + ?: + ??
    assert.equal(fn(result, "all").complexity, 17);
  });

  it("Python: if/elif, and/or, loops, except, conditional expression, comprehensions, match", () => {
    const result = measure(
      "a.py",
      `def f(x, ys):
    if x and ys or not x:
        return 1
    elif x > 2:
        pass
    else:
        pass
    for y in ys:
        while y:
            y -= 1
    try:
        pass
    except ValueError:
        pass
    except (KeyError, TypeError):
        pass
    else:
        pass
    finally:
        pass
    z = 1 if x else 2
    evens = [y for y in ys if y % 2 == 0]
    match x:
        case 1:
            pass
        case 2 if z:
            pass
        case _:
            pass
    return lambda q: q or z

async def g(items):
    async for item in items:
        with item:
            pass
`,
    );
    // 1 + if + and + or + elif + for + while + 2 except + conditional + comprehension for + its if
    //   + case 1 + case 2 + its guard (case _ is a default)
    assert.equal(fn(result, "f").complexity, 15);
    assert.equal(fn(result, "<anonymous>").complexity, 2);
    assert.equal(fn(result, "g").complexity, 2);
  });

  it("a function without decisions is 1", () => {
    assert.equal(fn(measure("a.ts", "function id(x: number) { return x; }\n"), "id").complexity, 1);
    assert.equal(fn(measure("a.py", "def ident(x):\n    return x\n"), "ident").complexity, 1);
  });
});

describe("measureFile: names and line ranges", () => {
  it("names JavaScript and TypeScript functions by declaration, class, variable and property", () => {
    const result = measure(
      "a.ts",
      `export class Service {
  constructor(private readonly db: object) {}

  async load(id: string): Promise<void> {
    await Promise.resolve(id);
  }

  get size(): number {
    return 1;
  }

  handle = (event: string) => event.length;
}

const square = (n: number) => n * n;
exports.run = function () {
  return 1;
};
const table = {
  open() {
    return 1;
  },
  close: () => 2,
};
function overloaded(a: string): string;
function overloaded(a: number): number;
function overloaded(a: unknown) {
  return a;
}
abstract class Base {
  abstract run(): void;
}
interface Shape {
  area(): number;
}
setTimeout(() => square(2), 10);
`,
    );
    assert.deepEqual(
      result.functions.map((f) => `${f.name}@${f.line}-${f.endLine}`),
      [
        "Service.constructor@2-2",
        "Service.load@4-6",
        "Service.size@8-10",
        "Service.handle@12-12",
        "square@15-15",
        "exports.run@16-18",
        "open@20-22",
        "close@23-23",
        "overloaded@27-29",
        "<anonymous>@36-36",
      ],
    );
    assert.equal(fn(result, "Service.load").lines, 3);
  });

  it("names Python functions, methods and lambdas; a decorated function starts at def", () => {
    const result = measure(
      "a.py",
      `import functools

class Repo:
    """Storage."""

    @functools.cache
    def get(self, key):
        """Read."""
        return key

    async def put(self, key, value):
        def check(v):
            return v is not None

        return check(value)


double = lambda n: n * 2
`,
    );
    assert.deepEqual(
      result.functions.map((f) => `${f.name}@${f.line}-${f.endLine}`),
      ["Repo.get@7-9", "Repo.put@11-15", "check@12-13", "double@18-18"],
    );
  });

  it("measures TSX and JSX components", () => {
    const tsx = measure(
      "App.tsx",
      `export function App({ items }: { items: string[] }) {
  return (
    <ul>
      {items.length > 0 && items.map((item) => <li key={item}>{item || "-"}</li>)}
    </ul>
  );
}
`,
    );
    assert.equal(fn(tsx, "App").complexity, 2);
    assert.equal(fn(tsx, "App").endLine, 7);
    assert.equal(fn(tsx, "<anonymous>").complexity, 2);
    const jsx = measure("Button.jsx", "const Button = ({ on }) => <button onClick={on ? on : undefined}>ok</button>;\n");
    assert.equal(jsx.language, "javascript");
    assert.equal(fn(jsx, "Button").complexity, 2);
  });
});

describe("measureFile: stubs", () => {
  it("JavaScript: empty named functions and class methods, not-implemented throws, deliberate no-ops", () => {
    const result = measure(
      "a.ts",
      `export function later() {
  // TODO
}
export function notYet(): number {
  throw new Error("Not implemented yet");
}
export class Store {
  constructor() {}
  save() {}
  override reset() {}
  noop() {}
  load(): string {
    throw new Error("TODO: load from disk");
  }
  fail(): never {
    throw new Error("disk full");
  }
}
const handlers = { click() {} };
const ignore = () => {};
process.on("exit", () => {});
export const todo = () => {
  throw new NotImplementedError();
};
export class Client {
  protected prepare(options: object): void {}
}
class NoopLogger {
  log(message: string) {}
}
function Legacy() {}
export function assertIs<T>(_arg: T): void {}
export function checkNever(value: never): void {}
`,
    );
    const stubs = Object.fromEntries(result.functions.map((f) => [f.name, f.stub ?? "-"]));
    assert.deepEqual(stubs, {
      later: "empty",
      notYet: "not-implemented",
      "Store.constructor": "-",
      "Store.save": "empty",
      "Store.reset": "-",
      "Store.noop": "-",
      "Store.load": "not-implemented",
      "Store.fail": "-",
      click: "-",
      ignore: "-",
      "<anonymous>": "-",
      todo: "not-implemented",
      "Client.prepare": "-",
      "NoopLogger.log": "-",
      Legacy: "-",
      assertIs: "-",
      checkNever: "-",
    });
  });

  it("Python: pass, ellipsis and docstring-only bodies, NotImplementedError, and the exceptions", () => {
    const result = measure(
      "a.py",
      `from abc import ABC, abstractmethod
from typing import Protocol, overload

def pending():
    pass

def documented():
    """Will do things."""

def dots(): ...

def with_code():
    """Does things."""
    return 1

def unfinished(x):
    """Soon."""
    raise NotImplementedError(f"{x}")

def bare():
    raise NotImplementedError

class Shape(ABC):
    @abstractmethod
    def area(self):
        raise NotImplementedError

    @abstractmethod
    def name(self): ...

    def hook(self):
        pass

class Reader(Protocol):
    def read(self) -> bytes: ...

@overload
def conv(x: int) -> int: ...
`,
    );
    const stubs = Object.fromEntries(result.functions.map((f) => [f.name, f.stub ?? "-"]));
    assert.deepEqual(stubs, {
      pending: "pass",
      documented: "pass",
      dots: "pass",
      with_code: "-",
      unfinished: "not-implemented",
      bare: "not-implemented",
      "Shape.area": "-",
      "Shape.name": "-",
      "Shape.hook": "pass",
      "Reader.read": "-",
      conv: "-",
    });
  });

  it("Python: nothing in a .pyi stub file is a stub", () => {
    const result = measure("api.pyi", "def run(x: int) -> int: ...\nclass A:\n    def go(self) -> None: ...\n");
    assert.equal(result.language, "python");
    assert.deepEqual(
      result.functions.map((f) => [f.name, f.stub]),
      [
        ["run", undefined],
        ["A.go", undefined],
      ],
    );
  });
});

describe("findDuplication", () => {
  const block = Array.from({ length: 10 }, (_, i) => `  const value${i} = compute(input, ${i} * factor);`).join("\n");

  it("finds a 10-line block shared by two files, once, at the later file", () => {
    const a = `import { compute } from "./compute";\nexport function first(input, factor) {\n${block}\n  return value0;\n}\n`;
    const b = `// Copied.\n\nfunction second(input, factor) {\n  const extra = 1;\n${block}\n  return extra;\n}\n`;
    const result = findDuplication([
      { path: "a.ts", text: a },
      { path: "b.ts", text: b },
    ]);
    assert.equal(result.blocks.length, 1);
    const [only] = result.blocks;
    assert.deepEqual(only, { file: "b.ts", line: 5, endLine: 14, otherFile: "a.ts", otherLine: 3, otherEndLine: 12, lines: 10 });
    // a: function line, 10 block lines, return (import and `}` dropped); b: function, extra, 10, return.
    assert.equal(result.totalLines, 12 + 13);
    assert.equal(result.duplicatedLines, 10);
    assert.equal(result.pct, 40);
  });

  it("finds the same block twice within one file", () => {
    const text = `function one(input, factor) {\n${block}\n}\n\nfunction two(input, factor) {\n${block}\n}\n`;
    const result = findDuplication([{ path: "a.js", text }]);
    assert.equal(result.blocks.length, 1);
    assert.deepEqual(result.blocks[0], {
      file: "a.js",
      line: 15,
      endLine: 24,
      otherFile: "a.js",
      otherLine: 2,
      otherEndLine: 11,
      lines: 10,
    });
  });

  it("ignores blank, comment, import and trivial lines, and blocks shorter than minLines", () => {
    const trivial = [
      "}",
      "});",
      "",
      "// same comment",
      "/*",
      " * block comment",
      " */",
      "import { a } from 'a';",
      "import {",
      "  b,",
      "} from 'b';",
      "]);",
    ];
    const noise = Array.from({ length: 4 }, () => trivial.join("\n")).join("\n");
    const short = Array.from({ length: 5 }, (_, i) => `total += weight${i} * value;`).join("\n");
    const result = findDuplication([
      { path: "a.js", text: `${noise}\n${short}\n` },
      { path: "b.js", text: `${noise}\n${short}\n` },
    ]);
    assert.deepEqual(result.blocks, []);
    assert.equal(result.totalLines, 10);
    assert.equal(result.duplicatedLines, 0);
    assert.equal(result.pct, 0);
    assert.equal(
      findDuplication(
        [
          { path: "a.js", text: `${noise}\n${short}\n` },
          { path: "b.js", text: short },
        ],
        5,
      ).blocks.length,
      1,
    );
  });

  it("merges overlapping windows into one maximal block per pair of places", () => {
    const lines = Array.from({ length: 30 }, (_, i) => `result.push(transform(item${i}, options));`);
    const a = lines.join("\n");
    const b = ["let unrelated = start();", ...lines.slice(0, 12), "different(stuff);", ...lines.slice(12)].join("\n");
    const result = findDuplication([
      { path: "a.js", text: a },
      { path: "b.js", text: b },
    ]);
    assert.deepEqual(
      result.blocks.map((x) => [x.line, x.endLine, x.otherLine, x.otherEndLine, x.lines]),
      [
        [2, 13, 1, 12, 12],
        [15, 32, 13, 30, 18],
      ],
    );
    assert.equal(result.duplicatedLines, 30);
  });

  it("agrees with a brute-force search on random repetitive files", () => {
    let seed = 7;
    const rand = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return Math.floor((seed / 2 ** 32) * n);
    };
    for (let round = 0; round < 200; round++) {
      const minLines = 2 + rand(5);
      const alphabet = 2 + rand(4);
      const files = Array.from({ length: 1 + rand(4) }, (_, f) => ({
        path: `f${f}.js`,
        text: Array.from({ length: rand(40) }, () => `step${rand(alphabet)}(state);`).join("\n"),
      }));
      const result = findDuplication(files, minLines);
      const lines = files.flatMap((file, f) => file.text.split("\n").flatMap((text, i) => (text ? [{ f, line: i + 1, text }] : [])));
      const window = (p: number) =>
        lines[p + minLines - 1]?.f === lines[p]?.f
          ? lines
              .slice(p, p + minLines)
              .map((l) => l.text)
              .join("\n")
          : undefined;
      // A line is a copy when some window holding it appeared earlier.
      const copies = new Set<string>();
      for (let p = 0; p + minLines <= lines.length; p++) {
        const text = window(p);
        if (text === undefined) continue;
        let earlier = false;
        for (let q = 0; q < p && !earlier; q++) earlier = window(q) === text;
        if (earlier) for (const l of lines.slice(p, p + minLines)) copies.add(`${l.f}:${l.line}`);
      }
      assert.equal(result.totalLines, lines.length);
      assert.equal(result.duplicatedLines, copies.size, `round ${round}`);
      for (const block of result.blocks) {
        const at = (path: string, from: number, to: number) =>
          files
            .find((f) => f.path === path)
            ?.text.split("\n")
            .slice(from - 1, to);
        assert.deepEqual(at(block.file, block.line, block.endLine), at(block.otherFile, block.otherLine, block.otherEndLine));
        assert.ok(block.lines >= minLines);
        assert.ok(
          block.file > block.otherFile || (block.file === block.otherFile && block.line > block.otherLine),
          "reported at the later place",
        );
      }
    }
  });

  it("handles no files and empty files", () => {
    assert.deepEqual(findDuplication([]), { totalLines: 0, duplicatedLines: 0, pct: 0, blocks: [] });
    assert.equal(findDuplication([{ path: "a.ts", text: "" }]).totalLines, 0);
  });
});
