;; Posts a response from a buffer that lies outside guest memory.
(module
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "fresco_handle")
    (drop (call $respond (i32.const 0xfffffff0) (i32.const 64)))))
