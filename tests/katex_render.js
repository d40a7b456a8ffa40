// Render LaTeX strings with KaTeX, as a notebook would show matcalc's results.
// stdin: a JSON list of strings; stdout: a JSON list of {index, latex, error} for each that fails.
// Run with NODE_PATH (or from the repository) so that require("katex") finds node_modules/katex.
"use strict";
const katex = require("katex");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const strings = JSON.parse(input);
  const errors = [];
  strings.forEach((latex, index) => {
    try {
      katex.renderToString(latex, { throwOnError: true, displayMode: true, strict: "error" });
    } catch (error) {
      errors.push({ index, latex, error: String(error && error.message ? error.message : error) });
    }
  });
  process.stdout.write(JSON.stringify(errors));
});
