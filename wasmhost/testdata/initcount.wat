;; A guest with an init phase that does not export fresco_snapshot: fresco
;; must run its init in every invocation. fresco_init counts its runs in
;; memory; fresco_handle responds with the count's last digit, always "1".
(module
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "0")
  (func (export "fresco_init")
    (i32.store8 (i32.const 0) (i32.add (i32.load8_u (i32.const 0)) (i32.const 1))))
  (func (export "fresco_handle")
    (drop (call $respond (i32.const 0) (i32.const 1)))))
