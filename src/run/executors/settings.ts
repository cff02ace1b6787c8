import type { Config } from "../../infra/config.js";

export type ExecutorSettings = NonNullable<Config["executors"][string]>;
