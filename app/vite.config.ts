// Build and dev server of the dApp.
// - The contracts' ABIs come from src/abi.generated.ts, which scripts/abis.mjs writes from the forge build output
//   (../out) before tsc and vite run (`npm run build`, `npm run dev`).
// - deployments/<chainId>.json come from ../deployments: served live by the dev server and copied into
//   dist/deployments/ (with an index.json of the chain ids) by the build.
// - `vite build --ssr <module>` (npm run test:unit) builds a module for node, without the deployments.
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { resolve } from "node:path";
import { defineConfig, type Plugin } from "vite";

const root = resolve(import.meta.dirname, "..");
const deploymentsDir = resolve(root, "deployments");

function deploymentFiles(): string[] {
  if (!existsSync(deploymentsDir)) return [];
  return readdirSync(deploymentsDir).filter((f) => /^\d+\.json$/.test(f));
}

function deploymentIndex(): string {
  return JSON.stringify({ chainIds: deploymentFiles().map((f) => Number(f.replace(".json", ""))) });
}

function deployments(): Plugin {
  return {
    name: "gpu-escrow-deployments",
    apply: (_, env) => !env.isSsrBuild,
    configureServer(server) {
      server.middlewares.use("/deployments/", (req, res, next) => {
        const name = (req.url ?? "").replace(/^\//, "").split("?")[0];
        if (name === "index.json") {
          res.setHeader("content-type", "application/json");
          res.end(deploymentIndex());
        } else if (/^\d+\.json$/.test(name) && existsSync(resolve(deploymentsDir, name))) {
          res.setHeader("content-type", "application/json");
          res.end(readFileSync(resolve(deploymentsDir, name)));
        } else next();
      });
    },
    generateBundle() {
      for (const f of deploymentFiles()) {
        this.emitFile({
          type: "asset",
          fileName: `deployments/${f}`,
          source: readFileSync(resolve(deploymentsDir, f)),
        });
      }
      this.emitFile({ type: "asset", fileName: "deployments/index.json", source: deploymentIndex() });
    },
  };
}

export default defineConfig({
  base: "./",
  plugins: [deployments()],
  build: { target: "es2022", sourcemap: true },
});
