;; Exports neither fresco_handle nor _start.
(module
  (memory (export "memory") 1)
  (func (export "foo")))
