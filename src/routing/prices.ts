import table from "../../data/prices.json" with { type: "json" };

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cacheWriteTokens: number;
  cacheReadTokens: number;
}

export interface Price {
  input: number;
  output: number;
  cacheWrite: number;
  cacheRead: number;
}

const PRICES = table.models as Record<string, Price>;

/** The price for a model id; dated ids (claude-sonnet-4-5-20250929) match their family's entry. */
export function priceFor(model: string | undefined): Price | undefined {
  if (!model) return undefined;
  if (PRICES[model]) return PRICES[model];
  const family = Object.keys(PRICES)
    .filter((key) => model.startsWith(key))
    .sort((a, b) => b.length - a.length)[0];
  return family ? PRICES[family] : undefined;
}

/** Dollars for one call's usage at the table's prices, or undefined for an unknown model. */
export function costOf(model: string | undefined, usage: Usage): number | undefined {
  const price = priceFor(model);
  if (!price) return undefined;
  const perToken = (perMillion: number) => perMillion / 1_000_000;
  return (
    usage.inputTokens * perToken(price.input) +
    usage.outputTokens * perToken(price.output) +
    usage.cacheWriteTokens * perToken(price.cacheWrite) +
    usage.cacheReadTokens * perToken(price.cacheRead)
  );
}
