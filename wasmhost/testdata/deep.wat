;; deep: fresco_handle recurses 200,000 calls deep, returns, and responds
;; {}: a stack of a few MB by the count, which wazero keeps with the
;; instance, so the instance must not be reused.
(module
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "{}")
  (func $down (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0))
      (then (i32.const 0))
      (else (i32.add (call $down (i32.sub (local.get 0) (i32.const 1))) (i32.const 1)))))
  (func (export "fresco_handle")
    (drop (call $down (i32.const 200000)))
    (drop (call $respond (i32.const 0) (i32.const 2)))))
