/** Code measures for the quality gates and gap analysis: per-function complexity, length and stubs; duplication. */
export { type DuplicateBlock, type DuplicationResult, findDuplication, type SourceText } from "./duplication.js";
export {
  countLines,
  type FileMeasures,
  type FunctionMeasure,
  measuredLanguageOf,
  measureFile,
  prepareMeasures,
  type StubKind,
} from "./functions.js";
