/** `npx tsx worker/stages/injection/windows.gen.ts`: rewrites windows.generated.ts from rules.ts (see window.ts). */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { INJECTION_RULES } from "./rules";
import { windowsModule } from "./window";

const file = join(dirname(fileURLToPath(import.meta.url)), "windows.generated.ts");
writeFileSync(file, windowsModule(INJECTION_RULES));
console.log(`wrote ${file} (${INJECTION_RULES.length} rules)`);
