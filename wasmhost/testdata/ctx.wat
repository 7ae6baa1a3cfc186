;; Responds with the raw bytes of the Lambda-Runtime-Aws-Request-Id context
;; value (at most 256 bytes), or "absent" when there is none.
(module
  (import "fresco" "invocation_context" (func $context (param i32 i32 i32 i32) (result i32)))
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "Lambda-Runtime-Aws-Request-Id") ;; 29 bytes
  (data (i32.const 128) "absent")                       ;; 6 bytes
  (func (export "fresco_handle")
    (local $len i32)
    (local.set $len (call $context (i32.const 0) (i32.const 29) (i32.const 256) (i32.const 256)))
    (if (i32.lt_s (local.get $len) (i32.const 0))
      (then
        (drop (call $respond (i32.const 128) (i32.const 6)))
        (return)))
    (if (i32.gt_u (local.get $len) (i32.const 256))
      (then (local.set $len (i32.const 256))))
    (drop (call $respond (i32.const 256) (local.get $len)))))
