#!/usr/bin/env node
// Serves the built dApp (app/dist) for local use: the demo and the browser tests.
//   node app/scripts/serve.mjs [--port N] [--host 127.0.0.1] [--dist DIR] [--deployments DIR]
// - /deployments/<chainId>.json and /deployments/index.json are read live from the project's deployments/ folder,
//   so a fresh local deploy needs no rebuild.
// The page calls providers' oracles directly (gpu-oracle answers any origin's CORS checks).
// Prints "app: http://HOST:PORT/" once listening; stops on SIGINT/SIGTERM.
import { createServer } from "node:http";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = fileURLToPath(new URL(".", import.meta.url));
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const host = opt("host", "127.0.0.1");
const port = Number(opt("port", "5173"));
const dist = resolve(opt("dist", join(here, "..", "dist")));
const deployments = resolve(opt("deployments", join(here, "..", "..", "deployments")));

if (!existsSync(join(dist, "index.html"))) {
  console.error(`serve: ${dist}/index.html is missing: build the app first (make app, or npm run build in app/)`);
  process.exit(1);
}

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
};

function send(res, status, type, body) {
  res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
  res.end(body);
}

const server = createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = decodeURIComponent(url.pathname);
  if (path === "/deployments/index.json") {
    const ids = existsSync(deployments)
      ? readdirSync(deployments)
          .filter((f) => /^\d+\.json$/.test(f))
          .map((f) => Number(f.slice(0, -5)))
      : [];
    return send(res, 200, "application/json", JSON.stringify({ chainIds: ids }));
  }
  const dep = /^\/deployments\/(\d+\.json)$/.exec(path);
  if (dep) {
    const file = join(deployments, dep[1]);
    return existsSync(file)
      ? send(res, 200, "application/json", readFileSync(file))
      : send(res, 404, "application/json", JSON.stringify({ error: "no deployment for this chain" }));
  }
  const file = normalize(join(dist, path === "/" ? "index.html" : path));
  if (!file.startsWith(dist) || !existsSync(file) || !statSync(file).isFile()) {
    return send(res, 404, "text/plain", "not found");
  }
  send(res, 200, TYPES[extname(file)] ?? "application/octet-stream", readFileSync(file));
});

server.listen(port, host, () => console.log(`app: http://${host}:${server.address().port}/`));
for (const sig of ["SIGINT", "SIGTERM"])
  process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
