// Where the JS heap may start: everything below is the module's static data.
export function heapBase(): usize {
  return __heap_base;
}
