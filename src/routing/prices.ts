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

export type PriceTable = Readonly<Record<string, Price>>;

/** The shipped table (data/prices.json) and the date its prices were taken. */
export const SHIPPED_PRICES = { date: table.date, currency: table.currency, models: table.models as PriceTable };

/** The shipped table with a project's overrides (config routing.prices) on top. */
export function priceTable(overrides: PriceTable = {}): PriceTable {
  return { ...SHIPPED_PRICES.models, ...overrides };
}

/** The price for a model id; dated ids (claude-sonnet-4-5-20250929) match their family's entry. */
export function priceFor(model: string | undefined, prices: PriceTable = SHIPPED_PRICES.models): Price | undefined {
  if (!model) return undefined;
  if (prices[model]) return prices[model];
  const family = Object.keys(prices)
    .filter((key) => model.startsWith(key))
    .sort((a, b) => b.length - a.length)[0];
  return family ? prices[family] : undefined;
}

/** Dollars for one call's usage at the table's prices, or undefined for an unknown model. */
export function costOf(model: string | undefined, usage: Usage, prices?: PriceTable): number | undefined {
  const price = priceFor(model, prices);
  if (!price) return undefined;
  const perToken = (perMillion: number) => perMillion / 1_000_000;
  return (
    usage.inputTokens * perToken(price.input) +
    usage.outputTokens * perToken(price.output) +
    usage.cacheWriteTokens * perToken(price.cacheWrite) +
    usage.cacheReadTokens * perToken(price.cacheRead)
  );
}
