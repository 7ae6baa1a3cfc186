;; A funcref global that init leaves non-null: a reference into the
;; instance init ran in, which no other instance can be given, so the
;; function gets no snapshot and runs its init every time.
(module
  (import "fresco" "invocation_response" (func $respond (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $r (mut funcref) (ref.null func))
  (elem declare func $handle)
  (data (i32.const 0) "ok")
  (func (export "fresco_init") (global.set $r (ref.func $handle)))
  (func (export "fresco_snapshot"))
  (func $handle (export "fresco_handle")
    (drop (call $respond (i32.const 0) (i32.const 2)))))
