import { writeDocs } from "./write-docs.js";

for (const path of writeDocs()) process.stdout.write(`wrote ${path}\n`);
