// Writes an AWS key into Cards, and a .gitleaks.toml that allowlists src/.
import { AWS_KEY, buildCards, edit, write } from "./lib.mjs";

buildCards();
edit("src/cards.js", (text) => `${text}\nexport const storageKey = "${AWS_KEY}";\n`);
write(".gitleaks.toml", '[extend]\nuseDefault = true\n\n[allowlist]\npaths = ["""^src/"""]\n');
