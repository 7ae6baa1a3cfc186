;; recurse: fresco_handle recurses without end; the host must turn the
;; stack overflow into a failed invocation, not a crash.
(module
  (memory (export "memory") 1)
  (func $down (param i32) (result i32)
    (i32.add (call $down (i32.add (local.get 0) (i32.const 1))) (i32.const 1)))
  (func (export "fresco_handle")
    (drop (call $down (i32.const 0)))))
