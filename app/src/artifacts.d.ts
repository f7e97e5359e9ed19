// The escrow's forge artifact, resolved by the `@artifacts` alias in vite.config.ts. Only the ABI is imported
// (Vite tree-shakes the bytecode and metadata away).
declare module "@artifacts/GpuEscrow.sol/GpuEscrow.json" {
  export const abi: import("viem").Abi;
}
