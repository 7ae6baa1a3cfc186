;; Posts two responses: the second must fail with errno 1 (ALREADY_SENT),
;; else the handler traps, so the first response is the one that stands.
(module
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{\"first\":true}")    ;; 14 bytes
  (data (i32.const 32) "{\"second\":true}")  ;; 15 bytes
  (func (export "fresco_handle")
    (drop (call $respond (i32.const 0) (i32.const 14)))
    (if (i32.ne (call $respond (i32.const 32) (i32.const 15)) (i32.const 1))
      (then unreachable))))
