// The contracts' forge artifacts, resolved by the `@artifacts` alias in vite.config.ts. Only the ABIs are imported
// (Vite tree-shakes the bytecode and metadata away).
declare module "@artifacts/GpuEscrow.sol/GpuEscrow.json" {
  export const abi: import("viem").Abi;
}
declare module "@artifacts/DisputeModule.sol/DisputeModule.json" {
  export const abi: import("viem").Abi;
}
declare module "@artifacts/CommitteeArbitrator.sol/CommitteeArbitrator.json" {
  export const abi: import("viem").Abi;
}
declare module "@artifacts/Errors.sol/Errors.json" {
  export const abi: import("viem").Abi;
}
