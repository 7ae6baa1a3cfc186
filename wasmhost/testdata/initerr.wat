;; Reports an init error from fresco_init; fresco_handle (which would
;; respond {}) must not count.
(module
  (import "fresco" "init_error" (func $init_error (param i32 i32 i32 i32) (result i32)))
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "Custom.InitFailed") ;; 17 bytes
  (data (i32.const 32) "{\"errorMessage\":\"boom at init\",\"errorType\":\"Custom.InitFailed\"}") ;; 63 bytes
  (data (i32.const 128) "{}")
  (func (export "fresco_init")
    (drop (call $init_error (i32.const 0) (i32.const 17) (i32.const 32) (i32.const 63))))
  (func (export "fresco_handle")
    (drop (call $respond (i32.const 128) (i32.const 2)))))
