;; Imports a function that fresco does not provide.
(module
  (import "env" "nope" (func $nope))
  (memory (export "memory") 1)
  (func (export "fresco_handle")
    (call $nope)))
