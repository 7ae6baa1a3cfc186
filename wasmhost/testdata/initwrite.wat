;; Increments a counter in memory (offset 0) and a mutable global, then
;; responds {"mem":N,"global":M} with their new values (last decimal digit).
;; Every invocation gets a fresh instance, so the answer is always
;; {"mem":1,"global":1}.
(module
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (data (i32.const 0) "\00\00\00\00")
  (data (i32.const 64) "{\"mem\":0,\"global\":0}") ;; 20 bytes; digits at 71 and 82
  (func (export "fresco_handle")
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (i32.const 1)))
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store8 (i32.const 71)
      (i32.add (i32.const 48) (i32.rem_u (i32.load (i32.const 0)) (i32.const 10))))
    (i32.store8 (i32.const 82)
      (i32.add (i32.const 48) (i32.rem_u (global.get $count) (i32.const 10))))
    (drop (call $respond (i32.const 64) (i32.const 20)))))
