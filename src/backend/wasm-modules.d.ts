// Modules that exist only in the dist build (rollup.config.mjs) or the runtime's loader.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}

declare module 'virtual:grapheme-wasm-base64' {
  const base64: string;
  export default base64;
}
