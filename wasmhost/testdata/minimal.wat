;; The smallest ABI function: responds {} (used by the benchmarks).
(module
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{}")
  (func (export "fresco_handle")
    (drop (call $respond (i32.const 0) (i32.const 2)))))
