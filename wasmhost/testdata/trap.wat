;; Traps in the handler.
(module
  (memory (export "memory") 1)
  (func (export "fresco_handle")
    unreachable))
