#!/usr/bin/env node
// Lets forge drive solcjs (npm `solc`) as if it were the native compiler.
// forge calls `--version` once, then `--standard-json` with the input on stdin.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

function writeAll(text) {
  const buf = Buffer.from(text);
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(1, buf, off, buf.length - off);
    } catch (e) {
      if (e.code !== "EAGAIN") throw e;
    }
  }
}

const args = process.argv.slice(2);
if (args.includes("--version")) {
  const full = solc.version().replace(".Emscripten.clang", ".Linux.g++");
  writeAll(`solc, the solidity compiler commandline interface\nVersion: ${full}\n`);
  process.exit(0);
}
if (!args.includes("--standard-json")) {
  process.stderr.write("tools/solc.js only supports --version and --standard-json\n");
  process.exit(2);
}

const basePathIdx = args.indexOf("--base-path");
const basePath = basePathIdx >= 0 ? args[basePathIdx + 1] : process.cwd();
const input = fs.readFileSync(0, "utf8");

function findImports(p) {
  for (const candidate of [path.resolve(basePath, p), path.resolve(p)]) {
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, "utf8") };
  }
  return { error: `File not found: ${p}` };
}

writeAll(solc.compile(input, { import: findImports }));
