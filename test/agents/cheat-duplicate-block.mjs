// Builds Cards, and pastes the same 12-line block into three files.
import { buildCards, write } from "./lib.mjs";

buildCards();
const block = (name) => `export function ${name}(cards) {
  const counts = { todo: 0, doing: 0, done: 0 };
  for (const card of cards) {
    if (card.column === "todo") counts.todo += 1;
    else if (card.column === "doing") counts.doing += 1;
    else if (card.column === "done") counts.done += 1;
    else throw new Error("unknown column " + card.column);
  }
  const total = counts.todo + counts.doing + counts.done;
  const finished = total === 0 ? 0 : counts.done / total;
  return { ...counts, total, finished };
}
`;
write("src/cards-summary.js", block("summary"));
write("src/cards-report.js", block("report"));
write("src/cards-stats.js", block("stats"));
