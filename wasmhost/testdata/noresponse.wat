;; The handler returns without posting a response or an error.
(module
  (memory (export "memory") 1)
  (func (export "fresco_handle")))
